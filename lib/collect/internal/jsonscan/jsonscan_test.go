package jsonscan

import (
	"errors"
	"slices"
	"testing"
)

// SkipValue finds the end of each kind of value, and rejects what cannot
// start or be a value.
func TestSkipValue(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int // the index after the value; -1: an error
	}{
		{`"a\"b" x`, 6},
		{`"a\\" x`, 5},
		{`{"a":[1,{"b":"}"}]} x`, 19},
		{`[] x`, 2},
		{`-1.5e3, x`, 6},
		{`true}`, 4},
		{`null`, 4},
		{`12"x"`, 2},  // a quote ends a number: the caller finds it out of place
		{`1:2`, 1},    // so does a colon
		{`true{`, 4},  // and an opening bracket
		{`"open`, -1}, // unterminated
		{`{"a":1`, -1},
		{`,1`, -1},
		{`:`, -1},
		{` 1`, -1}, // no leading blanks
		{``, -1},
	} {
		got, err := SkipValue([]byte(c.in), 0)
		if c.want < 0 {
			if err == nil || !errors.Is(err, ErrMalformed) {
				t.Errorf("SkipValue(%q) = %d, %v; want ErrMalformed", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("SkipValue(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

// EachMember hands on each member in order and stops where fn says;
// EachElement hands on each element.
func TestEachMemberAndElement(t *testing.T) {
	data := []byte(`{ "a" : 1 , "b\u0063":[ "x" , {"y":2} ] , "c":null }`)
	var keys, values []string
	end, err := EachMember(data, 0, func(key []byte, vs, ve int) (bool, error) {
		keys, values = append(keys, string(key)), append(values, string(data[vs:ve]))
		return false, nil
	})
	if err != nil || end != len(data) {
		t.Fatalf("EachMember: end %d of %d, %v", end, len(data), err)
	}
	if !slices.Equal(keys, []string{"a", `b\u0063`, "c"}) || !slices.Equal(values, []string{"1", `[ "x" , {"y":2} ]`, "null"}) {
		t.Errorf("EachMember: keys %q values %q", keys, values)
	}
	if !KeyIs([]byte(keys[1]), "bc") || KeyIs([]byte(keys[0]), "A") {
		t.Errorf("KeyIs decodes escapes and matches case exactly")
	}

	var n int
	_, err = EachMember(data, 0, func(key []byte, vs, ve int) (bool, error) { n++; return KeyIs(key, "a"), nil })
	if err != nil || n != 1 {
		t.Errorf("EachMember did not stop: %d calls, %v", n, err)
	}

	var elems []string
	arr := []byte(values[1])
	if err := EachElement(arr, 0, func(vs, ve int) error { elems = append(elems, string(arr[vs:ve])); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(elems, []string{`"x"`, `{"y":2}`}) {
		t.Errorf("EachElement: %q", elems)
	}
	if err := EachElement([]byte("null"), 0, func(int, int) error { t.Error("null has elements"); return nil }); err != nil {
		t.Error(err)
	}

	for _, bad := range []string{`{"a" 1}`, `{"a":1,}`, `{"a":1 "b":2}`, `{a:1}`, `[1 2]`, `[1,`} {
		var err error
		if bad[0] == '{' {
			_, err = EachMember([]byte(bad), 0, func([]byte, int, int) (bool, error) { return false, nil })
		} else {
			err = EachElement([]byte(bad), 0, func(int, int) error { return nil })
		}
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v, want ErrMalformed", bad, err)
		}
	}
}

func TestStringValue(t *testing.T) {
	for in, want := range map[string]string{`"plain"`: "plain", `"a\nb\u00e9"`: "a\nbé", `null`: ""} {
		if got, err := StringValue([]byte(in)); err != nil || got != want {
			t.Errorf("StringValue(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := StringValue([]byte(`1`)); err == nil {
		t.Error("StringValue(1) accepted")
	}
}
