package app

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/klog/v2"
)

// TestKlogIsRouted: what client-go logs through klog arrives as our own
// plain lines, at our verbosity, never as klog's raw "E1204 …" lines.
func TestKlogIsRouted(t *testing.T) {
	var buf bytes.Buffer
	d := &plainDisplay{w: &syncWriter{w: &buf}, v: normal}
	routeKlog(d.logWriter(), normal)
	defer routeKlog(d.logWriter(), quiet)
	klog.ErrorS(errors.New("io: read/write on closed pipe"), "Copying stdout failed")
	klog.Info("chatty detail")
	klog.Flush()
	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Len(t, lines, 1, "the info line is below the normal verbosity: %q", out)
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ level=ERROR msg="Copying stdout failed" from=client-go err="io: read/write on closed pipe"$`, lines[0])
}
