package podexec

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
)

// TestGate: writes reach the writer until close, none after, and a writer
// still copying when the exec returns (client-go's stream goroutine after
// ctx ended) does not race with the caller reading its buffer (-race).
func TestGate(t *testing.T) {
	var buf bytes.Buffer
	g := &gate{}
	w := g.writer(&buf)
	if g.writer(nil) != nil {
		t.Fatal("a nil writer stays nil: that stream is not asked for")
	}
	if _, err := w.Write([]byte("before ")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 1000 {
			if _, err := w.Write([]byte("x")); err != nil {
				if !errors.Is(err, io.ErrClosedPipe) {
					t.Error(err)
				}
				return
			}
		}
	})
	g.close()
	got := buf.String() // the caller reads as soon as the exec returned
	if _, err := w.Write([]byte("after")); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("write after close: %v", err)
	}
	wg.Wait()
	if buf.String() != got || len(got) < len("before ") || got[:7] != "before " {
		t.Fatalf("the buffer changed after close or lost what came before: %q then %q", got, buf.String())
	}
}
