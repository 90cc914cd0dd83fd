package analyze

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSortAndWorst(t *testing.T) {
	fs := []Finding{
		{Severity: SeverityInfo, Title: "c"},
		{Severity: SeverityFail, Cluster: "b", Title: "b"},
		{Severity: SeverityWarn, Title: "w"},
		{Severity: SeverityFail, Cluster: "a", Title: "a"},
	}
	assert.Equal(t, SeverityFail, Worst(fs))
	Sort(fs)
	var titles []string
	for _, f := range fs {
		titles = append(titles, f.Title)
	}
	assert.Equal(t, []string{"a", "b", "w", "c"}, titles)
	assert.Equal(t, SeverityPass, Worst(nil))
	assert.Equal(t, SeverityWarn, Worst([]Finding{{Severity: SeverityInfo}, {Severity: SeverityWarn}}))
}
