package spec

import (
	"fmt"
	"strconv"
)

// BoolOrString is a boolean that may be written as a YAML bool or as a string
// such as "true": upstream specs are often templated, which yields strings.
type BoolOrString struct {
	raw string
}

// NewBool returns a BoolOrString holding b.
func NewBool(b bool) *BoolOrString { return &BoolOrString{raw: strconv.FormatBool(b)} }

// Bool is false for nil, empty and anything strconv.ParseBool rejects; a
// malformed value is already refused when the spec is loaded.
func (b *BoolOrString) Bool() bool {
	if b == nil {
		return false
	}
	v, _ := strconv.ParseBool(b.raw)
	return v
}

// UnmarshalJSON accepts true, false, "true", "false" (and ParseBool's forms).
func (b *BoolOrString) UnmarshalJSON(data []byte) error {
	s := string(data)
	if u, err := strconv.Unquote(s); err == nil {
		s = u
	}
	if s == "" {
		b.raw = "false"
		return nil
	}
	if _, err := strconv.ParseBool(s); err != nil {
		return fmt.Errorf("want a boolean, got %s", data)
	}
	b.raw = s
	return nil
}

// MarshalJSON writes a plain boolean.
func (b BoolOrString) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatBool(b.Bool())), nil
}
