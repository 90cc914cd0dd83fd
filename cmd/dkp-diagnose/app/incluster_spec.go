package app

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
	"github.com/mesosphere/dkp-diagnose/lib/incluster"
)

// specSecretName is the Secret of an in-cluster run's namespace holding
// the spec and redactor files its pods read.
const specSecretName = "spec"

// inClusterFile is a spec or redactor file an in-cluster run hands to its
// pods: its key in the run's spec Secret (a file under
// incluster.SpecPath in the pod) and the bytes the CLI read and checked.
type inClusterFile struct {
	key       string
	redactors bool
	file      spec.File
}

// notKeyChars are what a Secret key may not hold.
var notKeyChars = regexp.MustCompile(`[^-._a-zA-Z0-9]+`)

// specKey is a file's key in the spec Secret: its kind and place, which
// keep the order, and its own base name, so that the worker's errors name
// a file the user knows.
func specKey(kind string, i int, name string) string {
	base := notKeyChars.ReplaceAllString(filepath.Base(name), "-")
	if len(base) > 100 {
		base = base[len(base)-100:] // the end has the extension
	}
	return kind + "-" + strconv.Itoa(i) + "-" + base
}

// setInClusterFiles keeps the spec and redactor files (read once, already
// checked by loadPlan) for the run's pods, refusing files a Secret cannot
// hold before anything is created.
func (o *options) setInClusterFiles(specs, redactors []spec.File) error {
	var files []inClusterFile
	var names []string
	size := 0
	for i, f := range specs {
		files = append(files, inClusterFile{key: specKey("spec", i, f.Name), file: f})
	}
	for i, f := range redactors {
		files = append(files, inClusterFile{key: specKey("redactors", i, f.Name), redactors: true, file: f})
	}
	for _, f := range files {
		names = append(names, f.file.Name)
		size += len(f.file.Data)
	}
	if size > corev1.MaxSecretSize {
		return fmt.Errorf("--in-cluster: spec and redactor files %s are %d bytes together, more than the %d a Secret holds (the pods get them in one)",
			strings.Join(names, ", "), size, corev1.MaxSecretSize)
	}
	o.inCluster.files = files
	return nil
}

// inClusterSpecArgs are the worker's spec arguments: the files as mounted,
// spec files as arguments and redactors as --redactors, each in the order
// given, so that the worker merges the same spec.
func (o *options) inClusterSpecArgs() []string {
	var flags, args []string
	for _, f := range o.inCluster.files {
		p := path.Join(incluster.SpecPath, f.key)
		if f.redactors {
			flags = append(flags, "--redactors", p)
		} else {
			args = append(args, p)
		}
	}
	return append(flags, args...)
}

// inClusterSpecSecret is the run's Secret of spec and redactor files, nil
// when the run has none (the built-in spec).
func (o *options) inClusterSpecSecret(run *incluster.RunSpec) *corev1.Secret {
	if len(o.inCluster.files) == 0 {
		return nil
	}
	s := run.Secret(specSecretName, nil)
	s.Data = map[string][]byte{}
	for _, f := range o.inCluster.files {
		s.Data[f.key] = f.file.Data
	}
	return s
}
