package liststream

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"testing/iotest"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/fixtures"
)

// FuzzListStream splits arbitrary responses as LIST responses, read whole
// and one byte at a time: never a panic, the same items, head and outcome
// either way, errors that say what failed, and valid items from valid JSON.
// testdata/fuzz/FuzzListStream keeps what earlier runs found.
func FuzzListStream(f *testing.F) {
	f.Add(fixtures.PodPage())
	f.Add([]byte(`{"items":[{"a":1},{}],"metadata":{"continue":"x"},"kind":"L","apiVersion":"v9"}`))
	f.Add([]byte(`{"kind":"L","apiVersion":"v1","metadata":{},"items":null}`))
	f.Add([]byte(`{"kind":"L","apiVersion":"v1","metadata":{"resourceVersion":"5"},"extra":"x\"}]","items":[true,"s",-1e3]}`))
	f.Add([]byte(`{"kind":"L","apiVersion":"v1","metadata":{},"items":[1,]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h1, items1, err1 := collectItems(bytes.NewReader(data))
		h2, items2, err2 := collectItems(iotest.OneByteReader(bytes.NewReader(data)))
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("whole read: %v; byte by byte: %v", err1, err2)
		}
		if err1 != nil {
			if !errors.Is(err1, ErrBadList) && !errors.Is(err1, ErrRead) {
				t.Fatalf("an error that says neither bad list nor failed read: %v", err1)
			}
			return
		}
		if h1 != h2 || !reflect.DeepEqual(items1, items2) {
			t.Fatalf("whole read: %+v %q; byte by byte: %+v %q", h1, items1, h2, items2)
		}
		// The scan checks structure only (see Stream.Split), so invalid JSON may
		// pass; from valid JSON it must hand on valid items.
		if json.Valid(data) {
			for _, it := range items1 {
				if !json.Valid([]byte(it)) {
					t.Fatalf("item %q of valid JSON %q is not valid", it, data)
				}
			}
		}
	})
}
