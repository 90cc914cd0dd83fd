package redact

import (
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"testing"
)

// FuzzSecretHidden: a random secret, under a random sensitive key in a
// random format or in a random token shape, between random lines, never
// reaches the output.
func FuzzSecretHidden(f *testing.F) {
	f.Add(uint8(0), uint16(0), []byte("s3cr3tValue1"), "before", "after")
	f.Add(uint8(5), uint16(14), []byte("anotherSecret9"), "password: |", "")
	f.Add(uint8(40), uint16(200), []byte("xyz"), "", "  x: 1")
	f.Add(uint8(3), uint16(600), []byte("Zz9"), "--password", "{}")
	s := mustNew(f, nil, true)
	f.Fuzz(func(t *testing.T, keyIdx uint8, ctxIdx uint16, raw []byte, before, after string) {
		var in, secret string
		nKey := len(keyContexts)
		if int(ctxIdx)%(nKey+len(shapeCases)*len(shapeContexts)) < nKey {
			secret = fuzzSecret(raw)
			key := corpusKeys[int(keyIdx)%len(corpusKeys)]
			tmpl := keyContexts[int(ctxIdx)%(nKey+len(shapeCases)*len(shapeContexts))].fmt(key, "")
			if strings.Contains(tmpl, secret) {
				t.Skip()
			}
			in = keyContexts[int(ctxIdx)%(nKey+len(shapeCases)*len(shapeContexts))].fmt(key, secret)
		} else {
			i := int(ctxIdx)%(nKey+len(shapeCases)*len(shapeContexts)) - nKey
			h := fnv.New64a()
			h.Write(raw)
			text, sec := shapeCases[i/len(shapeContexts)].make(rand.New(rand.NewPCG(h.Sum64(), 1)))
			in, secret = shapeContexts[i%len(shapeContexts)].fmt("", text), sec
		}
		if strings.Contains(before, secret) || strings.Contains(after, secret) {
			t.Skip()
		}
		in = before + "\n" + in + "\n" + after
		for _, out := range []string{redactString(t, s, "f.log", in), redactBytewise(t, s, "f.log", in), redactString(t, s, "f.yaml", in)} {
			if strings.Contains(out, secret) {
				t.Fatalf("secret %q leaked\n in: %q\nout: %q", secret, in, out)
			}
		}
	})
}

// fuzzSecret maps raw bytes to a secret of 8 to 64 letters and digits that
// starts with a letter and ends with a digit.
func fuzzSecret(raw []byte) string {
	b := []byte("Q")
	for _, c := range raw {
		b = append(b, alnum[int(c)%len(alnum)])
		if len(b) == 63 {
			break
		}
	}
	for len(b) < 7 {
		b = append(b, 'k')
	}
	return string(append(b, '7'))
}

// FuzzWriterSplit: redaction does not depend on how the data is split into
// writes, and never panics, whatever the bytes.
func FuzzWriterSplit(f *testing.F) {
	f.Add([]byte("password: x\nAuthorization: Basic abc\n"), uint16(3))
	f.Add([]byte("Cookie: a=1; b=\"x\nkey: |\n  v\n"), uint16(1))
	f.Add([]byte(`"Env": ["DB_PASSWORD=\"a b", "X"]`+"\n"), uint16(9))
	f.Add([]byte("https://a.webhook.office.com/webhookb2/x@y/IncomingWebhook/z\n"), uint16(20))
	f.Add([]byte("a: &x v\nb: &y |\n  w\n- &z\n  k: v\npassword: *x\ntoken: *y\nkey: *z\n"), uint16(21))
	s := mustNew(f, nil, true)
	f.Fuzz(func(t *testing.T, data []byte, step uint16) {
		// A .yaml file is held whole for its anchors: an odd step picks
		// that path.
		p := "f.log"
		if step%2 == 1 {
			p = "f.yaml"
		}
		whole := redactString(t, s, p, string(data))
		var out sink
		w := s.Writer(p, &out)
		n := int(step)%17 + 1
		for i := 0; i < len(data); i += n {
			if _, err := w.Write(data[i:min(i+n, len(data))]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if out.String() != whole {
			t.Fatalf("split writes of %d differ:\n one: %q\nsplit: %q", n, whole, out.String())
		}
	})
}
