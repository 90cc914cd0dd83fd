package config_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	yaml "go.yaml.in/yaml/v3"

	"github.com/mesosphere/dkp-diagnose/config"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// TestExampleConfig: the embedded example is the file beside it, has the
// profiles the docs describe, and the redactor file its air-gapped profile
// names is a valid Redactor spec. (The app tests load it through the real
// config loader.)
func TestExampleConfig(t *testing.T) {
	onDisk, err := os.ReadFile("example-config.yaml")
	require.NoError(t, err)
	assert.Equal(t, onDisk, config.ExampleConfig)

	var doc struct {
		Profiles map[string]map[string]any `yaml:"profiles"`
	}
	require.NoError(t, yaml.Unmarshal(config.ExampleConfig, &doc))
	require.Contains(t, doc.Profiles, "air-gapped")
	require.Contains(t, doc.Profiles, "fleet")
	redactors, ok := doc.Profiles["air-gapped"]["redactors"].([]any)
	require.True(t, ok)
	for _, r := range redactors {
		s, err := spec.LoadFiles(r.(string))
		require.NoError(t, err)
		assert.Empty(t, s.Collectors)
		assert.NotEmpty(t, s.Redactors)
		require.NoError(t, collect.Validate(s))
	}
}

func TestDefaultSpecParses(t *testing.T) {
	s, err := spec.Parse(config.DefaultSpecName, config.DefaultSpec)
	require.NoError(t, err)
	require.NoError(t, collect.Validate(s.WithDefaults()))
}
