package spec

import (
	"fmt"
	"path"
	"reflect"
	"strings"
)

// Origin says where collector c of s was written: "file:line" of its entry,
// or "" for one added by WithDefaults. Errors about a collector name its
// origin, which stays true after merging, unlike an index into the merged
// list.
func (s *Spec) Origin(c *Collect) string {
	return s.origins[c].String()
}

// origin is a place in a spec file.
type origin struct {
	file string
	line int
}

func (o origin) String() string {
	if o.file == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", o.file, o.line)
}

func (s *Spec) setOrigin(c *Collect, file string, line int) {
	if s.origins == nil {
		s.origins = map[*Collect]origin{}
	}
	s.origins[c] = origin{file, line}
}

// Identity is what names a collector's output in a bundle: its spec key and
// its name (collectorName, else name), like "logs/app". Two collectors with
// one identity write to the same place.
func (c *Collect) Identity() string {
	key, val, err := c.Collector()
	if err != nil {
		return ""
	}
	name := c.Meta().CollectorName
	if name == "" {
		if f := reflect.ValueOf(val).Elem().FieldByName("Name"); f.IsValid() && f.Kind() == reflect.String && !objectNamed[key] {
			name = f.String()
		}
	}
	if name == "" {
		return key
	}
	return key + "/" + name
}

// objectNamed are the collectors whose "name" is a Kubernetes object's, not
// a folder of the bundle.
var objectNamed = map[string]bool{"secret": true, "configMap": true}

// checkPaths refuses collector names that would put files outside the
// collector's place in the bundle: an absolute path or a ".." element.
// Checked when the spec loads, so a bad name fails before any cluster is
// contacted.
func checkPaths(c *Collect) error {
	key, val, err := c.Collector()
	if err != nil {
		return err
	}
	if err := checkRelPath("collectorName", c.Meta().CollectorName); err != nil {
		return err
	}
	if objectNamed[key] {
		return nil
	}
	if f := reflect.ValueOf(val).Elem().FieldByName("Name"); f.IsValid() && f.Kind() == reflect.String {
		return checkRelPath("name", f.String())
	}
	return nil
}

func checkRelPath(field, p string) error {
	if p == "" {
		return nil
	}
	if path.IsAbs(p) || strings.HasPrefix(p, `\`) || (len(p) > 1 && p[1] == ':') {
		return fmt.Errorf("%s %q is an absolute path; it names a folder inside the bundle", field, p)
	}
	for _, el := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		if el == ".." {
			return fmt.Errorf("%s %q leaves the bundle (a \"..\" element)", field, p)
		}
	}
	if strings.ContainsRune(p, 0) {
		return fmt.Errorf("%s %q holds a NUL character", field, p)
	}
	return nil
}

// Conflict is a collector of one spec file meeting one of the same identity
// in another, found when specs are merged.
type Conflict struct {
	// Identity is the collectors' key and name, like "logs/app".
	Identity string
	// First and Second are where the two were written (file:line).
	First, Second string
	// Excluded is true when exactly one of them says exclude: true. The
	// exclusion then wins: neither runs, as the exclusion asks.
	Excluded bool
}

func (c Conflict) String() string {
	if c.Excluded {
		return fmt.Sprintf("%s at %s and %s: one is excluded, so neither runs", c.Identity, c.First, c.Second)
	}
	return fmt.Sprintf("%s at %s and %s: both run, into the same place of the bundle", c.Identity, c.First, c.Second)
}

// mergeConflicts finds other's collectors that meet one of s's with the same
// identity from another file, records each as a Conflict, and applies an
// exclusion to both.
func (s *Spec) mergeConflicts(other *Spec) {
	byID := map[string][]*Collect{}
	for _, c := range s.Collectors {
		if id := c.Identity(); id != "" {
			byID[id] = append(byID[id], c)
		}
	}
	for _, c := range other.Collectors {
		oc := other.origins[c]
		for _, prev := range byID[c.Identity()] {
			op := s.origins[prev]
			if op.file == "" || oc.file == "" || op.file == oc.file {
				continue // the same file may repeat a collector on purpose
			}
			ex1, ex2 := prev.Meta().IsExcluded(), c.Meta().IsExcluded()
			conf := Conflict{Identity: c.Identity(), First: op.String(), Second: oc.String(), Excluded: ex1 != ex2}
			if ex1 == ex2 && ex1 {
				continue // both off: nothing to say
			}
			if conf.Excluded {
				exclude(prev)
				exclude(c)
			}
			s.Conflicts = append(s.Conflicts, conf)
		}
	}
}

func exclude(c *Collect) {
	_, val, err := c.Collector()
	if err != nil {
		return
	}
	if f := reflect.ValueOf(val).Elem().FieldByName("CollectorMeta"); f.IsValid() {
		f.FieldByName("Exclude").Set(reflect.ValueOf(NewBool(true)))
	}
}
