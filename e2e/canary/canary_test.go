package canary

import (
	"strings"
	"testing"
)

func TestCorpus(t *testing.T) {
	c := Build()
	if len(c.Canaries) < 150 {
		t.Errorf("%d canaries, want at least 150", len(c.Canaries))
	}
	seen := map[string]bool{}
	for _, k := range c.Canaries {
		if seen[k.Marker] {
			t.Errorf("marker %s twice", k.Marker)
		}
		seen[k.Marker] = true
	}
	for _, class := range []string{ClassKeyName, ClassToken, ClassEncoded, ClassCustom, ClassYAMLForm, ClassStructure, ClassPEM} {
		if c.Summary()[class] == 0 {
			t.Errorf("no canary of class %s", class)
		}
	}
	t.Logf("%d canaries %v, %d beacons", len(c.Canaries), c.Summary(), len(c.Beacons))
}

// TestCheckFindsEveryForm: the check itself must see a marker however it is
// hidden, or a passing e2e test proves nothing.
func TestCheckFindsEveryForm(t *testing.T) {
	c := &Corpus{}
	plain := c.secret(ClassKeyName, "plain", func(m string) string { return m })
	inB64 := c.secret(ClassEncoded, "b64", func(m string) string { return "pw:" + m })
	inGzip := c.secret(ClassEncoded, "gzip", func(m string) string { return "pw:" + m })
	nested := c.secret(ClassEncoded, "b64 of gzip of json in json", func(m string) string { return m })
	inJWT := c.secret(ClassToken, "jwt payload", func(m string) string { return m })
	files := map[string][]byte{
		"a.log":  []byte("x " + plain + " y"),
		"b.json": []byte(`{"v": "` + b64(inB64) + `"}`),
		"c.json": []byte(`{"v":"x\n` + gzipB64(inGzip) + `"}`),
		"d.json": []byte(`{"a": "{\"release\":\"` + gzipB64(mustJSON(map[string]any{"k": b64(nested)})) + `\"}"}`),
		"e.log":  []byte("Bearer " + jwt(inJWT)),
	}
	c.beacon("here", "beacon-text")
	c.beacon("absent", "not-there")
	files["f.txt"] = []byte(`{"s":"multi\nline beacon-text"}`)
	leaks, missing := c.Check(files)
	found := map[string]bool{}
	for _, l := range leaks {
		found[l.Marker] = true
	}
	for _, k := range c.Canaries {
		if !found[k.Marker] {
			t.Errorf("%s (%s) not found", k.Marker, k.Where)
		}
	}
	if len(missing) != 1 || missing[0].Text != "not-there" {
		t.Errorf("missing beacons = %v", missing)
	}
	if strings.Count(Decoded(b64("abc "+plain), 0), plain) == 0 {
		t.Errorf("Decoded misses base64")
	}
}
