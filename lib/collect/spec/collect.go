package spec

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Collector returns the spec key (e.g. "clusterResources") and the collector
// value of the one field set in c. It is an error to set none or several:
// one entry, one collector, as upstream.
func (c *Collect) Collector() (string, any, error) {
	v := reflect.ValueOf(c).Elem()
	var key string
	var val any
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).IsNil() {
			continue
		}
		k := jsonName(v.Type().Field(i))
		if key != "" {
			return "", nil, fmt.Errorf("one collector per entry, got both %q and %q", key, k)
		}
		key, val = k, v.Field(i).Interface()
	}
	if key == "" {
		return "", nil, fmt.Errorf("empty collector entry")
	}
	return key, val, nil
}

// Meta returns the CollectorMeta of the collector set in c.
func (c *Collect) Meta() CollectorMeta {
	_, val, err := c.Collector()
	if err != nil {
		return CollectorMeta{}
	}
	f := reflect.ValueOf(val).Elem().FieldByName("CollectorMeta")
	if !f.IsValid() {
		return CollectorMeta{}
	}
	return f.Interface().(CollectorMeta)
}

// CollectorKeys lists every collector type a spec may use, sorted.
func CollectorKeys() []string {
	t := reflect.TypeFor[Collect]()
	keys := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		keys = append(keys, jsonName(t.Field(i)))
	}
	sort.Strings(keys)
	return keys
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}
