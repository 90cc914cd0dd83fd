// Package jsonscan finds values in JSON without decoding it: where an
// object's members are, where an array's elements start and end. The list
// code needs little of each response (the list's metadata, each item's
// namespace, a pod's container statuses) and hands the items on as the
// server encoded them; encoding/json would scan every byte of a page twice
// to validate and decode it, and allocate every item. The redaction walk
// (lib/collect/redact) scans objects the same way to find the values it
// masks.
//
// The functions check structure (quotes, brackets, separators), not the
// full JSON grammar: a value is passed on as found, and whoever uses it
// decodes it with encoding/json (json.Indent for the list files,
// json.Unmarshal for the parts decoded), which rejects anything malformed.
package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrMalformed is the error of malformed input.
var ErrMalformed = errors.New("malformed JSON")

// Malformed is the ErrMalformed error of data at offset i, saying what was
// expected there.
func Malformed(data []byte, i int, what string) error {
	return fmt.Errorf("%w at offset %d of %d: %s", ErrMalformed, i, len(data), what)
}

// SkipSpace returns the index of the first non-blank byte at or after i.
func SkipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// SkipString returns the index after the string whose opening quote is at
// data[i].
func SkipString(data []byte, i int) (int, error) {
	j := i + 1
	for {
		k := bytes.IndexByte(data[j:], '"')
		if k < 0 {
			return 0, Malformed(data, i, "unterminated string")
		}
		j += k
		// The quote is escaped when an odd number of backslashes precede it.
		n := 0
		for b := j - 1; b > i && data[b] == '\\'; b-- {
			n++
		}
		j++
		if n%2 == 0 {
			return j, nil
		}
	}
}

// SkipValue returns the index after the value that starts at data[i] (no
// leading blanks).
func SkipValue(data []byte, i int) (int, error) {
	if i >= len(data) {
		return 0, Malformed(data, i, "value expected")
	}
	switch data[i] {
	case '"':
		return SkipString(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				end, err := SkipString(data, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, Malformed(data, i, "unterminated object or array")
	case ',', ':', '}', ']':
		return 0, Malformed(data, i, "value expected")
	}
	// A number, true, false or null: up to the next delimiter or the
	// first byte that cannot follow one (a quote, a colon, an opening
	// bracket), which the caller then finds out of place.
	j := i
scan:
	for j < len(data) {
		switch data[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r', ':', '"', '{', '[':
			break scan
		}
		j++
	}
	if j == i {
		return 0, Malformed(data, i, "value expected")
	}
	return j, nil
}

// EachMember calls fn with the key (undecoded, without quotes) and the value
// span of each member of the object at data[i] (no leading blanks), in
// order, until fn returns stop or an error. It returns the index after the
// object (or after the member where fn stopped).
func EachMember(data []byte, i int, fn func(key []byte, vs, ve int) (stop bool, err error)) (int, error) {
	if i >= len(data) || data[i] != '{' {
		return 0, Malformed(data, i, "object expected")
	}
	j := SkipSpace(data, i+1)
	if j < len(data) && data[j] == '}' {
		return j + 1, nil
	}
	for {
		if j >= len(data) || data[j] != '"' {
			return 0, Malformed(data, j, "member name expected")
		}
		ke, err := SkipString(data, j)
		if err != nil {
			return 0, err
		}
		key := data[j+1 : ke-1]
		j = SkipSpace(data, ke)
		if j >= len(data) || data[j] != ':' {
			return 0, Malformed(data, j, "':' expected")
		}
		vs := SkipSpace(data, j+1)
		ve, err := SkipValue(data, vs)
		if err != nil {
			return 0, err
		}
		stop, err := fn(key, vs, ve)
		if err != nil || stop {
			return ve, err
		}
		j = SkipSpace(data, ve)
		if j < len(data) && data[j] == ',' {
			j = SkipSpace(data, j+1)
			continue
		}
		if j < len(data) && data[j] == '}' {
			return j + 1, nil
		}
		return 0, Malformed(data, j, "',' or '}' expected")
	}
}

// EachElement calls fn with the span of each element of the array at
// data[i] (no leading blanks), in order. A null is an empty array.
func EachElement(data []byte, i int, fn func(vs, ve int) error) error {
	if bytes.HasPrefix(data[i:], []byte("null")) {
		return nil
	}
	if i >= len(data) || data[i] != '[' {
		return Malformed(data, i, "array expected")
	}
	j := SkipSpace(data, i+1)
	if j < len(data) && data[j] == ']' {
		return nil
	}
	for {
		ve, err := SkipValue(data, j)
		if err != nil {
			return err
		}
		if err := fn(j, ve); err != nil {
			return err
		}
		j = SkipSpace(data, ve)
		if j < len(data) && data[j] == ',' {
			j = SkipSpace(data, j+1)
			continue
		}
		if j < len(data) && data[j] == ']' {
			return nil
		}
		return Malformed(data, j, "',' or ']' expected")
	}
}

// KeyIs reports whether an undecoded member name is name. Names the API
// server writes have no escapes; one that does is decoded first. Unlike
// encoding/json, which also accepts a name that differs in case, the match
// is exact: the API server writes its field names one way only.
func KeyIs(key []byte, name string) bool {
	if bytes.IndexByte(key, '\\') < 0 {
		return string(key) == name
	}
	var s string
	if err := json.Unmarshal(append(append([]byte{'"'}, key...), '"'), &s); err != nil {
		return false
	}
	return s == name
}

// StringValue decodes a string value (null is ""); one without escapes
// (every name and namespace) is copied without encoding/json.
func StringValue(v []byte) (string, error) {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' && bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1]), nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", err
	}
	return s, nil
}
