package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func init() { register("configMap", newConfigMap) }

type configMap struct {
	s spec.ConfigMap
	q objectQuery
}

func newConfigMap(s *spec.ConfigMap) (Collector, error) {
	q := objectQuery{resource: "configmaps", name: s.Name, selector: s.Selector, namespace: s.Namespace}
	if err := q.validate(); err != nil {
		return nil, err
	}
	return &configMap{s: *s, q: q}, nil
}

// configMapOutput is troubleshoot.sh's configmaps/<ns>/<name>.json shape,
// plus the list of keys (what support needs first, and never sensitive).
type configMapOutput struct {
	Namespace       string            `json:"namespace"`
	Name            string            `json:"name"`
	Key             string            `json:"key,omitempty"`
	ConfigMapExists bool              `json:"configMapExists"`
	KeyExists       bool              `json:"keyExists,omitempty"`
	Keys            []string          `json:"keys,omitempty"`
	Value           string            `json:"value,omitempty"`
	Data            map[string]string `json:"data,omitempty"`
}

func (c *configMap) Collect(ctx context.Context, env *Env) error {
	found := 0
	err := c.q.list(ctx, env, func(item json.RawMessage) error {
		var cm corev1.ConfigMap
		if err := json.Unmarshal(item, &cm); err != nil {
			return fmt.Errorf("decode config map: %w", err)
		}
		file := objectFile("configmaps", cm.Namespace, cm.Name, c.s.Key)
		if c.s.IncludeValue || c.s.IncludeAllData {
			// Values asked for are redacted by structure as in
			// cluster-resources/configmaps.
			if red := env.Out.Object(file, "ConfigMap", item); len(red) != len(item) || &red[0] != &item[0] {
				cm = corev1.ConfigMap{}
				if err := json.Unmarshal(red, &cm); err != nil {
					return fmt.Errorf("decode config map: %w", err)
				}
			}
		}
		found++
		out := configMapOutput{Namespace: cm.Namespace, Name: cm.Name, Key: c.s.Key, ConfigMapExists: true}
		for k := range cm.Data {
			out.Keys = append(out.Keys, k)
		}
		for k := range cm.BinaryData {
			out.Keys = append(out.Keys, k)
		}
		sort.Strings(out.Keys)
		if c.s.Key != "" {
			v, ok := cm.Data[c.s.Key]
			out.KeyExists = ok
			if ok && c.s.IncludeValue {
				out.Value = v
			}
		}
		if c.s.IncludeAllData {
			out.Data = cm.Data
		}
		return env.Out.WriteJSON(file, out)
	})
	if err != nil {
		return err
	}
	if found == 0 && c.s.Name != "" && c.s.Namespace != "" {
		// troubleshoot.sh records a named object that is missing, so an
		// analyzer can tell "absent" from "not collected".
		return env.Out.WriteJSON(objectFile("configmaps", c.s.Namespace, c.s.Name, c.s.Key),
			configMapOutput{Namespace: c.s.Namespace, Name: c.s.Name, Key: c.s.Key})
	}
	return nil
}

// objectFile is <dir>/<namespace>/<name>.json, or <dir>/<namespace>/<name>/<key>.json.
func objectFile(dir, namespace, name, key string) string {
	if key != "" {
		return path.Join(dir, namespace, name, pathSafe(key)+".json")
	}
	return path.Join(dir, namespace, name+".json")
}
