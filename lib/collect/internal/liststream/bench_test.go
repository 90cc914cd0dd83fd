package liststream

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/mesosphere/dkp-diagnose/lib/collect/redact"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/fixtures"
)

// discardCloser is a WriteCloser that keeps nothing.
type discardCloser struct{ n int }

func (d *discardCloser) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }
func (d *discardCloser) Close() error                { return nil }

// BenchmarkListPage: what clusterResources does with one page of pods
// besides redaction and compression: split it into items, find each item's
// namespace, write the items indented.
func BenchmarkListPage(b *testing.B) {
	fixtures.BenchPage(b, func(page []byte) error {
		var out discardCloser
		var lw *Writer
		_, err := splitPage(page, func(head Head, item json.RawMessage) error {
			if lw == nil {
				var err error
				if lw, err = NewWriter(&out, head); err != nil {
					return err
				}
			}
			if _, err := ItemNamespace(item); err != nil {
				return err
			}
			return lw.Add(item)
		})
		if err != nil {
			return err
		}
		return lw.Close()
	})
}

// TestBenchPageShape: the benchmark page is what the list code expects.
func TestBenchPageShape(t *testing.T) {
	var items int
	head, err := splitPage(fixtures.PodPage(), func(_ Head, item json.RawMessage) error {
		items++
		if !bytes.HasPrefix(item, []byte(`{"metadata":{`)) {
			t.Fatalf("item starts %.40q", item)
		}
		return nil
	})
	if fixtures.PagePods != PageSize {
		t.Errorf("the benchmark page has %d pods, a full page %d", fixtures.PagePods, PageSize)
	}
	if err != nil || items != fixtures.PagePods || head.Kind != "PodList" || head.Metadata.Continue == "" {
		t.Fatalf("splitPage: %d items, head %+v, err %v", items, head, err)
	}
}

// BenchmarkListPageRedacted is BenchmarkListPage writing through the
// redactor: "lines" with the line rules only, "structure" with the
// structure pass over each item before them (what a run does). The
// difference is the structure pass's cost per page of clean pods.
func BenchmarkListPageRedacted(b *testing.B) {
	set, err := redact.New(nil, true)
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"lines", "structure"} {
		b.Run(mode, func(b *testing.B) {
			fixtures.BenchPage(b, func(page []byte) error {
				var dst io.WriteCloser = set.Writer("cluster-resources/pods/bench.json", &discardCloser{})
				if mode == "lines" {
					dst = hideObject{dst}
				}
				var lw *Writer
				_, err := splitPage(page, func(head Head, item json.RawMessage) error {
					if lw == nil {
						var err error
						if lw, err = NewWriter(dst, head); err != nil {
							return err
						}
					}
					return lw.Add(item)
				})
				if err != nil {
					return err
				}
				return lw.Close()
			})
		})
	}
}

// hideObject hides a writer's Object method: no structure pass.
type hideObject struct{ io.WriteCloser }
