package troubleshoot

import (
	"fmt"
	"path"
	"reflect"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// clusterResource: a field (yamlPath) of one collected object, compared
// with an expected value, a regular expression, its named groups, or a
// when ("<op> <int or quantity>").

func init() {
	register("clusterResource", func(b *bundle, s any) ([]*Result, error) {
		r, err := clusterResource(b, s.(*spec.ClusterResourceAnalyze))
		if err != nil {
			return nil, err
		}
		return []*Result{r}, nil
	})
}

// resourceFiles is troubleshoot's Filemap: kind (lower case) → folder of
// per-namespace files, or file of a cluster-scoped list.
var resourceFiles = map[string]string{
	"deployment":                     "deployments",
	"daemonset":                      "daemonsets",
	"statefulset":                    "statefulsets",
	"networkpolicy":                  "network-policy",
	"pod":                            "pods",
	"ingress":                        "ingress",
	"service":                        "services",
	"resourcequota":                  "resource-quota",
	"job":                            "jobs",
	"persistentvolumeclaim":          "pvcs",
	"pvc":                            "pvcs",
	"replicaset":                     "replicasets",
	"configmap":                      "configmaps",
	"validatingwebhookconfiguration": "validating-webhook-configurations.json",
	"mutatingwebhookconfiguration":   "mutating-webhook-configurations.json",
	"namespace":                      "namespaces.json",
	"persistentvolume":               "pvs.json",
	"pv":                             "pvs.json",
	"node":                           "nodes.json",
	"storageclass":                   "storage-classes.json",
}

func (b *bundle) findResource(kind string, clusterScoped bool, ns, name string) (any, error) {
	loc, ok := resourceFiles[strings.ToLower(kind)]
	if !ok {
		return nil, fmt.Errorf("failed to find resource")
	}
	file := path.Join("cluster-resources", loc)
	if !clusterScoped {
		if ns == "" {
			ns = "default"
		}
		file = path.Join(file, ns+".json")
	}
	data, err := b.read(file)
	if err != nil {
		return nil, fmt.Errorf("failed to read collected resources: %w", err)
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("failed to parse data as yaml doc: %w", err)
	}
	items, err := atPath(doc, "items")
	if err != nil {
		return nil, fmt.Errorf("failed to get items from file: %w", err)
	}
	list, _ := items.([]any)
	for _, it := range list {
		n, err := atPath(it, "metadata.name")
		if err != nil {
			return nil, fmt.Errorf("failed to find resource with name: %s: %w", name, err)
		}
		if n == name {
			return it, nil
		}
	}
	return nil, nil
}

func clusterResource(b *bundle, a *spec.ClusterResourceAnalyze) (*Result, error) {
	title := a.CheckName
	if title == "" {
		title = a.CollectorName
	}
	invalid := func(msg string) *Result {
		return &Result{Title: title, IconKey: iconText, IconURI: iconTextURI, IsFail: true, Message: msg}
	}
	obj, err := b.findResource(a.Kind, a.ClusterScoped, a.Namespace, a.Name)
	if err != nil || obj == nil {
		if a.ClusterScoped {
			return invalid(fmt.Sprintf("%s %s does not exist", a.Kind, a.Name)), nil
		}
		return invalid(fmt.Sprintf("%s %s in namespace %s does not exist", a.Kind, a.Name, a.Namespace)), nil
	}
	actual, err := atPath(obj, a.YamlPath)
	if err != nil {
		return invalid("YAML path provided is invalid"), nil
	}
	var expected any
	if err := yaml.Unmarshal([]byte(a.ExpectedValue), &expected); err != nil {
		return nil, fmt.Errorf("failed to parse expected value as yaml doc: %w", err)
	}
	actualYAML, err := yaml.Marshal(actual)
	if err != nil {
		return nil, fmt.Errorf("failed to marshal actual value: %w", err)
	}
	var r *Result
	switch {
	case a.ExpectedValue != "":
		r, err = valueOutcome(reflect.DeepEqual(actual, expected), a.Outcomes, title)
	case a.RegexPattern != "":
		re, cerr := compileRegex(a.RegexPattern)
		if cerr != nil {
			return nil, cerr
		}
		r, err = regexOutcome(re.Match(actualYAML), a.Outcomes, title)
	case a.RegexGroups != "":
		re, cerr := compileRegex(a.RegexGroups)
		if cerr != nil {
			return nil, cerr
		}
		r, err = regexGroupsOutcome(re, actualYAML, a.Outcomes, title)
	default:
		r, err = whenFieldOutcome(actual, a.Outcomes, title)
	}
	if err != nil {
		return nil, err
	}
	if r == nil {
		r = invalid("Invalid analyzer")
	}
	return r, nil
}

// valueOutcome: the first outcome whose boolean when equals "equal".
func valueOutcome(equal bool, outcomes []*spec.Outcome, title string) (*Result, error) {
	r := &Result{Title: title, IconKey: iconText, IconURI: iconTextURI + "?w=13&h=16"}
	for _, o := range outcomes {
		out, when, ok := pick(o)
		if !ok {
			continue
		}
		w, err := parseBoolWhen(when, out.IsPass)
		if err != nil {
			return nil, err
		}
		if w == equal {
			apply(r, out)
			return r, nil
		}
	}
	return nil, nil
}

// whenFieldOutcome: outcomes in order, fail then warn then pass within
// one, the first whose when holds (an empty when always does). A warn's
// when is evaluated with the fail's when, as troubleshoot does.
func whenFieldOutcome(actual any, outcomes []*spec.Outcome, title string) (*Result, error) {
	r := &Result{Title: title, IconKey: iconText, IconURI: iconTextURI + "?w=13&h=16"}
	for _, o := range outcomes {
		for _, so := range []struct {
			o, whenOf *spec.SingleOutcome
			set       func()
		}{{o.Fail, o.Fail, func() { r.IsFail = true }}, {o.Warn, o.Fail, func() { r.IsWarn = true }}, {o.Pass, o.Pass, func() { r.IsPass = true }}} {
			if so.o == nil {
				continue
			}
			if so.o.When != "" {
				when := ""
				if so.whenOf != nil {
					when = so.whenOf.When
				}
				ok, err := compareToResource(when, actual)
				if err != nil {
					return nil, fmt.Errorf("failed to process when statement: %s: %w", so.o.When, err)
				}
				if !ok {
					continue
				}
			}
			so.set()
			r.Message, r.URI = so.o.Message, so.o.URI
			return r, nil
		}
	}
	return nil, nil
}

func compareToResource(when string, actual any) (bool, error) {
	if !strings.ContainsAny(when, "!=<>") {
		return false, errNoOperator
	}
	parts := strings.Split(strings.TrimSpace(when), " ")
	if n, ok := actual.(int); ok {
		return compareInt(when, n)
	}
	s, ok := actual.(string)
	if !ok {
		return false, fmt.Errorf("could not cast found value as string")
	}
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return false, fmt.Errorf("could not match comparison method for result")
	}
	if len(parts) < 2 {
		return false, fmt.Errorf("unable to parse when range")
	}
	w, err := resource.ParseQuantity(parts[1])
	if err != nil {
		return false, fmt.Errorf("Cannot compare size with not size")
	}
	return compareInt(parts[0]+" "+strconv.FormatInt(w.Value(), 10), int(q.Value()))
}
