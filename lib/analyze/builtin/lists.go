package builtin

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// listHead is what a list file says about all its items: the list's kind
// ("PodList") and apiVersion, which items listed by the API do not repeat.
type listHead struct {
	Kind       string
	APIVersion string
}

// itemKind is the kind of the list's items: "PodList" → "Pod".
func (h listHead) itemKind() string { return strings.TrimSuffix(h.Kind, "List") }

// eachItem streams the items of one list file through fn, one at a time,
// so that memory holds a single item whatever the list's size. It reads both
// forms found in bundles: a Kubernetes list object ({"kind", "apiVersion",
// "items": […]}, ours and troubleshoot's standard resources) and a bare JSON
// array of items (troubleshoot's custom resources). fn decodes the item
// from dec (dec.Decode(&v)); the list's kind and apiVersion are passed
// along when they come before "items", as every writer puts them.
func eachItem(fsys fs.FS, name string, fn func(head listHead, dec *json.Decoder) error) error {
	f, err := fsys.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 64<<10))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%s: %w", name, emptyOK(err))
	}
	var head listHead
	switch tok {
	case json.Delim('['):
		return eachArrayItem(name, dec, head, fn)
	case json.Delim('{'):
	default:
		return fmt.Errorf("%s: not a JSON list", name)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		key, _ := tok.(string)
		switch key {
		case "kind":
			err = dec.Decode(&head.Kind)
		case "apiVersion":
			err = dec.Decode(&head.APIVersion)
		case "items":
			var open json.Token
			if open, err = dec.Token(); err == nil {
				if open == nil { // "items": null
					continue
				}
				if open != json.Delim('[') {
					return fmt.Errorf("%s: items is not an array", name)
				}
				err = eachArrayItem(name, dec, head, fn)
			}
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// eachArrayItem reads the items of an opened JSON array and its closing
// bracket.
func eachArrayItem(name string, dec *json.Decoder, head listHead, fn func(listHead, *json.Decoder) error) error {
	for dec.More() {
		if err := fn(head, dec); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	_, err := dec.Token()
	return err
}

// emptyOK makes an empty file's EOF an error that says so.
func emptyOK(err error) error {
	if errors.Is(err, io.EOF) {
		return errors.New("empty file")
	}
	return err
}

// decodeEach streams a list file's items into a fresh T each and calls fn
// with it.
func decodeEach[T any](fsys fs.FS, name string, fn func(head listHead, item *T)) error {
	return eachItem(fsys, name, func(head listHead, dec *json.Decoder) error {
		item := new(T)
		if err := dec.Decode(item); err != nil {
			return err
		}
		fn(head, item)
		return nil
	})
}

// resourceFiles returns the list files of a resource, sorted: the
// cluster-scoped "cluster-resources/<name>.json" and every namespace's
// "cluster-resources/<name>/<namespace>.json", for each of the names given
// (a resource's file name changed between layouts: both are read). Error
// files ("…-errors.json") are no lists and are left out.
func resourceFiles(fsys fs.FS, names ...string) []string {
	var out []string
	for _, n := range names {
		base := path.Join("cluster-resources", n)
		if _, err := fs.Stat(fsys, base+".json"); err == nil {
			out = append(out, base+".json")
		}
		out = append(out, jsonFilesIn(fsys, base)...)
	}
	return out
}

// customResourceFiles returns the list files of the custom resources
// named plural.group ("machines.cluster.x-k8s.io"): one per namespace, or
// one for a cluster-scoped resource.
func customResourceFiles(fsys fs.FS, crd string) []string {
	return resourceFiles(fsys, path.Join("custom-resources", crd))
}

// customResourceDirs returns the plural.group names of the custom
// resources in the bundle whose group ends in suffix
// (".infrastructure.cluster.x-k8s.io").
func customResourceDirs(fsys fs.FS, suffix string) []string {
	entries, err := fs.ReadDir(fsys, "cluster-resources/custom-resources")
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, e := range entries {
		n := strings.TrimSuffix(e.Name(), ".json")
		if strings.HasSuffix(n, "-errors") || !strings.HasSuffix(n, suffix) || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// jsonFilesIn lists dir's .json files that are not error files.
func jsonFilesIn(fsys fs.FS, dir string) []string {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".json") || strings.HasSuffix(n, "-errors.json") {
			continue
		}
		out = append(out, path.Join(dir, n))
	}
	sort.Strings(out)
	return out
}
