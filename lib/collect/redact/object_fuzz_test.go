package redact

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzObject: any bytes are safe to hand to Object (no panic, valid JSON
// stays valid JSON), and a value put in a Secret's data never comes out,
// whatever the rest of the object is.
func FuzzObject(f *testing.F) {
	f.Add([]byte(`{"metadata":{"name":"a"},"spec":{"x":[1,"two",{"three":null}]}}`), "fuzzSecretValue")
	f.Add([]byte(`{"data":{"k":"djE="},"kind":"Secret"}`), "Zm9v")
	f.Add([]byte(`{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"kind\":\"Secret\",\"data\":{\"a\":\"b\"}}\n"}}}`), "x")
	f.Add([]byte(`{"a":"\u00e9\\\"","b":"$2a$10$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01"}`), "y")
	s, err := New(nil, true)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, obj []byte, secret string) {
		out := s.Object("f.json", "", obj)
		if json.Valid(obj) && !json.Valid(out) {
			t.Fatalf("valid input became invalid:\n%s\n%s", obj, out)
		}
		if len(secret) < 4 || strings.ContainsAny(secret, "\"\\") || !json.Valid(obj) || !strings.HasPrefix(string(obj), "{") {
			return
		}
		wrapped := `{"kind":"Secret","data":{"k":"` + secret + `"},"x":` + string(obj) + `}`
		if !json.Valid([]byte(wrapped)) {
			return
		}
		got := string(s.Object("f.json", "", []byte(wrapped)))
		if strings.Contains(got, `"k":"`+secret+`"`) {
			t.Fatalf("secret data kept: %s", got)
		}
	})
}
