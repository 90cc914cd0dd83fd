package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/fields"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/liststream"
)

// objectQuery selects config maps or secrets the way the configMap and
// secret collectors specify: one by name, or by label selector, in one
// namespace or in all of them (namespace empty, the D2iQ extension).
type objectQuery struct {
	resource  string // "configmaps" or "secrets"
	name      string
	selector  []string
	namespace string
}

func (q objectQuery) validate() error {
	if q.name == "" && len(q.selector) == 0 {
		return fmt.Errorf("name or selector is required (selector [\"\"] selects all)")
	}
	return nil
}

// list hands every selected object to fn, from one paginated LIST (one per
// allowed namespace when a cluster-wide LIST is denied). Failures are
// recorded as partial errors and in <resource>/<collector>-errors.json.
func (q objectQuery) list(ctx context.Context, env *Env, fn func(item json.RawMessage) error) error {
	params := map[string]string{}
	if sel := strings.Join(nonEmpty(q.selector), ","); sel != "" {
		params["labelSelector"] = sel
	}
	if q.name != "" {
		params["fieldSelector"] = fields.OneTermEqualSelector("metadata.name", q.name).String()
	}
	r := resourceKind{version: "v1", resource: q.resource, namespaced: true}
	l := liststream.Across(ctx, env.restClient(), r.path, q.namespace, env.fallbackNamespaces(nil), params, func(_ liststream.Head, item json.RawMessage) error {
		return fn(item)
	})
	return recordErrors(env, q.resource+"/"+pathSafe(env.Title)+"-errors.json", l.Errs)
}

// recordErrors writes errs to file and marks the collector partial.
func recordErrors(env *Env, file string, errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
		env.Partial(err)
	}
	return env.Out.WriteErrors(file, msgs)
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

var unsafePathChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// pathSafe turns a title into one bundle path element.
func pathSafe(s string) string {
	return strings.Trim(unsafePathChars.ReplaceAllString(s, "_"), "_.")
}
