package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/mesosphere/dkp-diagnose/lib/collect/redact"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func init() { register("secret", newSecret) }

type secret struct {
	s spec.Secret
	q objectQuery
}

func newSecret(s *spec.Secret) (Collector, error) {
	q := objectQuery{resource: "secrets", name: s.Name, selector: s.Selector, namespace: s.Namespace}
	if err := q.validate(); err != nil {
		return nil, err
	}
	return &secret{s: *s, q: q}, nil
}

// secretOutput is troubleshoot.sh's secrets/<ns>/<name>.json shape plus the
// keys. Values appear only when the spec asks (includeValue for Key,
// includeAllData for all), and even then pass through redaction.
type secretOutput struct {
	Namespace    string            `json:"namespace"`
	Name         string            `json:"name"`
	Type         string            `json:"type,omitempty"`
	Key          string            `json:"key,omitempty"`
	SecretExists bool              `json:"secretExists"`
	KeyExists    bool              `json:"keyExists,omitempty"`
	Keys         []string          `json:"keys,omitempty"`
	Value        string            `json:"value,omitempty"`
	Data         map[string]string `json:"data,omitempty"`
}

func (c *secret) Collect(ctx context.Context, env *Env) error {
	found := 0
	err := c.q.list(ctx, env, func(item json.RawMessage) error {
		var s corev1.Secret
		if err := json.Unmarshal(item, &s); err != nil {
			return fmt.Errorf("decode secret: %w", err)
		}
		found++
		out := secretOutput{Namespace: s.Namespace, Name: s.Name, Type: string(s.Type), Key: c.s.Key, SecretExists: true}
		for k := range s.Data {
			out.Keys = append(out.Keys, k)
		}
		sort.Strings(out.Keys)
		if c.s.Key != "" {
			v, ok := s.Data[c.s.Key]
			out.KeyExists = ok
			if ok && c.s.IncludeValue {
				out.Value = c.reveal(env, v)
			}
		}
		if c.s.IncludeAllData {
			out.Data = make(map[string]string, len(s.Data))
			for k, v := range s.Data {
				out.Data[k] = c.reveal(env, v)
			}
		}
		return env.Out.WriteJSON(objectFile("secrets", s.Namespace, s.Name, c.s.Key), out)
	})
	if err != nil {
		return err
	}
	if found == 0 && c.s.Name != "" && c.s.Namespace != "" {
		return env.Out.WriteJSON(objectFile("secrets", c.s.Namespace, c.s.Name, c.s.Key),
			secretOutput{Namespace: c.s.Namespace, Name: c.s.Name, Key: c.s.Key})
	}
	return nil
}

// reveal returns a secret value for the bundle. Pattern-based redaction
// cannot recognise a secret by its value alone, so while redaction is on the
// collector masks values itself: asking for values means asking for
// --redact=false too.
func (c *secret) reveal(env *Env, v []byte) string {
	if env.Options.redact {
		return redact.Mask
	}
	return string(v)
}
