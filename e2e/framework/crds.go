package framework

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
)

// CRDResource is the CustomResourceDefinition resource, for the dynamic client;
// the framework avoids a dependency on the apiextensions module.
var CRDResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// InstallCRDs creates the CustomResourceDefinitions in the given YAML files
// (one or more documents each) and waits until each is Established, so the
// caller can use the new resources at once. Install all CRDs of a test in one
// call: the apiserver holds every create of a custom resource for 2 s while
// its CRD is less than 2 s established (an HA safeguard in the CRD handler),
// and CRDs installed together share that wait.
func (c *Cluster) InstallCRDs(ctx context.Context, files ...string) error {
	if err := InstallCRDs(ctx, c.Dynamic, files...); err != nil {
		return fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	return nil
}

// WaitCRDEstablished waits until the named CRD has condition Established=True.
func (c *Cluster) WaitCRDEstablished(ctx context.Context, name string) error {
	if err := WaitCRDEstablished(ctx, c.Dynamic, name); err != nil {
		return fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	return nil
}

// InstallCRDs is Cluster.InstallCRDs for any cluster, given its dynamic
// client: the Kind end-to-end tests use it on clusters the framework did not
// start.
func InstallCRDs(ctx context.Context, dyn dynamic.Interface, files ...string) error {
	var names []string
	for _, file := range files {
		objs, err := readYAMLObjects(file)
		if err != nil {
			return err
		}
		for _, obj := range objs {
			_, err := dyn.Resource(CRDResource).Create(ctx, obj, metav1.CreateOptions{})
			if err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("create CRD %s from %s: %w", obj.GetName(), file, err)
			}
			names = append(names, obj.GetName())
		}
	}
	for _, name := range names {
		if err := WaitCRDEstablished(ctx, dyn, name); err != nil {
			return err
		}
	}
	return nil
}

// WaitCRDEstablished waits until the named CRD has condition
// Established=True.
func WaitCRDEstablished(ctx context.Context, dyn dynamic.Interface, name string) error {
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		crd, err := dyn.Resource(CRDResource).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // not visible yet; keep polling
		}
		conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
		for _, cond := range conds {
			m, _ := cond.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("wait for CRD %s to be Established: %w", name, err)
	}
	return nil
}

// readYAMLObjects decodes every non-empty document of a YAML file.
func readYAMLObjects(file string) ([]*unstructured.Unstructured, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	defer f.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	var objs []*unstructured.Unstructured
	for {
		obj := &unstructured.Unstructured{}
		err := dec.Decode(&obj.Object)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", file, err)
		}
		if len(obj.Object) > 0 {
			objs = append(objs, obj)
		}
	}
}
