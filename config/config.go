// Package config embeds the built-in spec and example configuration so the
// binary needs no files beside it.
package config

import _ "embed"

// DefaultSpec is the spec run when the user gives none.
//
//go:embed default.yaml
var DefaultSpec []byte

// DefaultSpecName names DefaultSpec in messages and execution data.
const DefaultSpecName = "built-in default spec"

// ExampleConfig is an example dkp-diagnose config file with an air-gapped and
// a fleet profile ("dkp-diagnose config example" prints it).
//
//go:embed example-config.yaml
var ExampleConfig []byte
