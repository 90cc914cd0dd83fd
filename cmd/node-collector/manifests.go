package main

import (
	"context"
	"fmt"
	"path"
	"strings"
)

// manifestDir is where kubeadm puts the static pods of the control plane.
const manifestDir = "/etc/kubernetes/manifests"

// maxManifests bounds how many files of manifestDir are copied.
const maxManifests = 100

// collectManifests writes every file of manifestDir, redacted, as
// static_pod_manifests/<file>. A file that cannot be read gets its own
// error file; the item fails when the folder cannot be listed. Worker
// nodes have an empty folder, which is not an error.
func collectManifests(ctx context.Context, c *collector) ([]file, error) {
	entries, err := c.host.readDir(manifestDir)
	if err != nil {
		return nil, err
	}
	var files []file
	for _, e := range entries {
		if ctx.Err() != nil {
			return files, ctx.Err()
		}
		// The kubelet ignores hidden files (editor swap files); other
		// leftovers such as .bak copies are kept: the kubelet runs them.
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if len(files) >= maxManifests {
			files = append(files, file{name: "static_pod_manifests/more", err: fmt.Errorf("only the first %d files of %s were copied", maxManifests, manifestDir)})
			break
		}
		name := "static_pod_manifests/" + e.Name()
		data, err := c.host.readFile(path.Join(manifestDir, e.Name()), maxConfigBytes)
		if err != nil {
			files = append(files, file{name: name, err: err})
			continue
		}
		files = append(files, file{name: name, data: []byte(redact(string(data)))})
	}
	return files, nil
}
