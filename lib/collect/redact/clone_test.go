package redact

import (
	"bytes"
	"io"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

type cloneSink struct{ io.Writer }

func (cloneSink) Close() error { return nil }

// TestCloneSharesRules: a clone redacts like its original and counts on its
// own; every field of Set is either shared or per-bundle state.
func TestCloneSharesRules(t *testing.T) {
	s, err := New([]*spec.Redact{{Name: "site", Removals: spec.Removals{Values: []string{"hunter2"}}}}, true)
	require.NoError(t, err)
	c := s.Clone()

	// Fields first: a rule setting left at zero can hang the writer.
	perBundle := map[string]bool{"outBufs": true, "walkers": true, "mu": true, "counts": true, "errs": true}
	sv, cv := reflect.ValueOf(s).Elem(), reflect.ValueOf(c).Elem()
	for i := range sv.NumField() {
		name := sv.Type().Field(i).Name
		if perBundle[name] {
			continue
		}
		require.True(t, fieldEqual(sv.Field(i), cv.Field(i)), "Clone must share field %s (or list it as per-bundle state)", name)
	}

	var out bytes.Buffer
	w := c.Writer("a.txt", cloneSink{&out})
	_, err = io.WriteString(w, "password=hunter2\n")
	require.NoError(t, err)
	require.NoError(t, w.Close())
	assert.NotContains(t, out.String(), "hunter2")
	assert.Positive(t, c.Report().Total)
	assert.Zero(t, s.Report().Total, "the original's report is its own")

	assert.Nil(t, (*Set)(nil).Clone())
}

// fieldEqual tells whether b is a's value shared: the same pointers, the
// same backing arrays. It reads unexported fields, which Interface cannot.
func fieldEqual(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Func:
		return a.Pointer() == b.Pointer()
	case reflect.Int, reflect.Int64, reflect.Int32:
		return a.Int() == b.Int()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.String:
		return a.String() == b.String()
	case reflect.Struct:
		for i := range a.NumField() {
			if !fieldEqual(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	}
	return false
}
