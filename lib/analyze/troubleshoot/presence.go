package troubleshoot

import (
	"encoding/json"
	"fmt"
	"path"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// customResourceDefinition, storageClass, ingress, secret and configMap:
// whether an object exists (and, for secrets and config maps, a key), with
// the pass outcome's message when it does and the fail (or warn) outcome's
// when it does not. As in troubleshoot, the last outcome of a kind wins.

func init() {
	register("customResourceDefinition", func(b *bundle, s any) ([]*Result, error) {
		a := s.(*spec.CustomResourceDefinitionAnalyze)
		title := a.CheckName
		if title == "" {
			title = "Custom resource definition " + a.CustomResourceDefinitionName
		}
		r := &Result{Title: title, IconKey: "kubernetes_custom_resource_definition", IconURI: "https://troubleshoot.sh/images/analyzer-icons/custom-resource-definition.svg?w=13&h=16"}
		found, err := b.hasNamed("cluster-resources/custom-resource-definitions.json", a.CustomResourceDefinitionName, nil)
		if err != nil {
			return nil, err
		}
		presence(r, a.Outcomes, found, true)
		return setStrict([]*Result{r}, a.AnalyzeMeta), nil
	})
	register("storageClass", func(b *bundle, s any) ([]*Result, error) {
		a := s.(*spec.StorageClassAnalyze)
		title := a.CheckName
		if title == "" {
			title = "Default Storage Class"
			if a.StorageClassName != "" {
				title = "Storage class " + a.StorageClassName
			}
		}
		r := &Result{Title: title, IconKey: "kubernetes_storage_class", IconURI: "https://troubleshoot.sh/images/analyzer-icons/storage-class.svg?w=12&h=12"}
		found, err := b.hasNamed("cluster-resources/storage-classes.json", a.StorageClassName, func(annotations map[string]string) bool {
			return a.StorageClassName == "" && annotations["storageclass.kubernetes.io/is-default-class"] == "true"
		})
		if err != nil {
			return nil, err
		}
		presence(r, a.Outcomes, found, false)
		if a.StorageClassName == "" && r.Message == "" {
			r.Message = "No Default Storage Class found"
			if found {
				r.Message = "Default Storage Class found"
			}
		}
		return setStrict([]*Result{r}, a.AnalyzeMeta), nil
	})
	register("ingress", func(b *bundle, s any) ([]*Result, error) {
		a := s.(*spec.IngressAnalyze)
		title := a.CheckName
		if title == "" {
			title = "Ingress " + a.IngressName
		}
		r := &Result{Title: title, IconKey: "kubernetes_ingress", IconURI: "https://troubleshoot.sh/images/analyzer-icons/ingress-controller.svg?w=20&h=13"}
		found, err := b.hasNamed(path.Join("cluster-resources/ingress", a.Namespace+".json"), a.IngressName, nil)
		if err != nil {
			return nil, err
		}
		presence(r, a.Outcomes, found, false)
		return setStrict([]*Result{r}, a.AnalyzeMeta), nil
	})
	register("secret", func(b *bundle, s any) ([]*Result, error) {
		a := s.(*spec.SecretAnalyze)
		title := a.CheckName
		if title == "" {
			title = "Secret " + a.SecretName
		}
		r, err := keyedObject(b, "secrets", a.Namespace, a.SecretName, a.Key, a.Outcomes, title, "secretExists")
		if err != nil {
			return nil, err
		}
		return setStrict([]*Result{r}, a.AnalyzeMeta), nil
	})
	register("configMap", func(b *bundle, s any) ([]*Result, error) {
		a := s.(*spec.ConfigMapAnalyze)
		title := a.CheckName
		if title == "" {
			title = "ConfigMap " + a.ConfigMapName
		}
		r, err := keyedObject(b, "configmaps", a.Namespace, a.ConfigMapName, a.Key, a.Outcomes, title, "configMapExists")
		if err != nil {
			return nil, err
		}
		return setStrict([]*Result{r}, a.AnalyzeMeta), nil
	})
}

// hasNamed reports whether the list in file holds an item named name (or,
// when also is set, one whose annotations it accepts).
func (b *bundle) hasNamed(file, name string, also func(map[string]string) bool) (bool, error) {
	data, err := b.read(file)
	if err != nil {
		return false, err
	}
	var list struct {
		Items []struct {
			Metadata struct {
				Name        string            `json:"name"`
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
		} `json:"items"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return false, fmt.Errorf("parse %s: %w", file, err)
	}
	for _, it := range list.Items {
		if it.Metadata.Name == name || (also != nil && also(it.Metadata.Annotations)) {
			return true, nil
		}
	}
	return false, nil
}

// presence sets r from outcomes: when found, pass with the last pass
// outcome's message; else fail with the last fail outcome's (or, when
// warnToo, the last fail-or-warn outcome's, as the CRD analyzer does).
func presence(r *Result, outcomes []*spec.Outcome, found, warnToo bool) {
	if found {
		r.IsPass = true
		for _, o := range outcomes {
			if o.Pass != nil {
				r.Message, r.URI = o.Pass.Message, o.Pass.URI
			}
		}
		return
	}
	if !warnToo {
		r.IsFail = true
	}
	for _, o := range outcomes {
		switch {
		case o.Fail != nil:
			r.IsFail = true
			r.Message, r.URI = o.Fail.Message, o.Fail.URI
		case o.Warn != nil && warnToo:
			r.IsWarn = true
			r.Message, r.URI = o.Warn.Message, o.Warn.URI
		}
	}
}

// keyedObject is the secret and configMap rule over the file their
// collectors write: <dir>/<namespace>/<name>[/<key>].json holding whether
// the object and the key exist.
func keyedObject(b *bundle, dir, ns, name, key string, outcomes []*spec.Outcome, title, existsField string) (*Result, error) {
	file := path.Join(dir, ns, name)
	if key != "" {
		file = path.Join(file, key)
	}
	data, err := b.read(file + ".json")
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	r := &Result{Title: title, IconKey: "kubernetes_analyze_secret", IconURI: "https://troubleshoot.sh/images/analyzer-icons/secret.svg?w=13&h=16"}
	var fail *spec.SingleOutcome
	for _, o := range outcomes {
		if o.Fail != nil {
			fail = o.Fail
		}
	}
	exists, _ := out[existsField].(bool)
	keyExists, _ := out["keyExists"].(bool)
	gotKey, _ := out["key"].(string)
	if !exists || (key != "" && (gotKey != key || !keyExists)) {
		r.IsFail = true
		if fail == nil {
			// troubleshoot dereferences the missing fail outcome and
			// crashes; say what is missing instead.
			r.Message = fmt.Sprintf("%s %s/%s not found", dir, ns, name)
			return r, nil
		}
		r.Message, r.URI = fail.Message, fail.URI
		return r, nil
	}
	r.IsPass = true
	for _, o := range outcomes {
		if o.Pass != nil {
			r.Message, r.URI = o.Pass.Message, o.Pass.URI
		}
	}
	return r, nil
}
