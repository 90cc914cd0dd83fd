package targets

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	kind "sigs.k8s.io/kind/pkg/cluster"
	kindexec "sigs.k8s.io/kind/pkg/exec"
)

// DefaultBootstrapClusterName is the Kind cluster "dkp create bootstrap"
// makes.
const DefaultBootstrapClusterName = "konvoy-capi-bootstrapper"

// BootstrapOptions say where the bootstrap cluster is.
type BootstrapOptions struct {
	// ClusterName is the Kind cluster name.
	ClusterName string
	// Kubeconfig, if set, is used instead of asking Kind.
	Kubeconfig string
	// KindProvider, if set, replaces the Kind provider lookup (tests).
	KindProvider KindProvider
}

// KindProvider is the part of sigs.k8s.io/kind/pkg/cluster.Provider used here.
type KindProvider interface {
	List() ([]string, error)
	KubeConfig(name string, internal bool) (string, error)
}

// Bootstrap resolves the local Kind bootstrap cluster: from opts.Kubeconfig
// when given, else through the Kind provider of the container engine found
// (Docker, Podman or nerdctl). Errors are one line each: a *KubeconfigError
// for an unusable opts.Kubeconfig, a *BootstrapError for what was missing
// otherwise.
func Bootstrap(opts BootstrapOptions) (*Target, error) {
	name := opts.ClusterName
	if name == "" {
		name = DefaultBootstrapClusterName
	}
	if opts.Kubeconfig != "" {
		rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: opts.Kubeconfig}
		t, err := Current(rules, &clientcmd.ConfigOverrides{})
		if err != nil {
			return nil, &KubeconfigError{Role: RoleBootstrap, Path: opts.Kubeconfig, Err: err}
		}
		t.Role = RoleBootstrap
		t.Name = name
		t.Source = "bootstrap kubeconfig " + opts.Kubeconfig
		return t, nil
	}
	p := opts.KindProvider
	if p == nil {
		opt, err := kind.DetectNodeProvider()
		if err != nil {
			return nil, &BootstrapError{Cluster: name, Problem: NoContainerEngine, Err: err}
		}
		p = kind.NewProvider(opt)
	}
	names, err := p.List()
	if err != nil {
		return nil, &BootstrapError{Cluster: name, Problem: ContainerEngineFailed, Err: err}
	}
	if !slices.Contains(names, name) {
		return nil, &BootstrapError{Cluster: name, Problem: NoKindCluster, Found: names}
	}
	kc, err := p.KubeConfig(name, false)
	if err != nil {
		return nil, &BootstrapError{Cluster: name, Problem: KindKubeconfigFailed, Err: err}
	}
	t, err := fromKubeconfig([]byte(kc))
	if err != nil {
		return nil, &BootstrapError{Cluster: name, Problem: KindKubeconfigFailed, Err: err}
	}
	t.Role, t.Name, t.Source = RoleBootstrap, name, "Kind cluster "+name
	return t, nil
}

// fromKubeconfig builds a target from kubeconfig bytes, using their current
// context.
func fromKubeconfig(data []byte) (*Target, error) {
	cc, err := clientcmd.NewClientConfigFromBytes(data)
	if err != nil {
		return nil, err
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, err
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, err
	}
	return &Target{Config: cfg, DefaultNamespace: ns, Server: cfg.Host}, nil
}

// kindError makes a Kind error one line: the first line of the failed
// command's output ("Cannot connect to the Docker daemon …") when there is
// one.
func kindError(err error) string {
	if re := kindexec.RunErrorForError(err); re != nil {
		for _, l := range strings.Split(string(re.Output), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				return fmt.Sprintf("%s: %s", strings.Join(re.Command[:min(2, len(re.Command))], " "), l)
			}
		}
	}
	return oneLine(err)
}

// kindContext looks for the context Kind writes for cluster name
// ("kind-<name>") in the kubeconfig of rules: the fallback when no container
// engine answers.
func kindContext(rules *clientcmd.ClientConfigLoadingRules, name string) (*Target, bool) {
	if rules == nil {
		return nil, false
	}
	ctxName := "kind-" + name
	raw, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).RawConfig()
	if err != nil {
		return nil, false
	}
	if _, ok := raw.Contexts[ctxName]; !ok {
		return nil, false
	}
	t, err := Current(rules, &clientcmd.ConfigOverrides{CurrentContext: ctxName})
	if err != nil {
		return nil, false
	}
	t.Role, t.Name = RoleBootstrap, name
	t.Source = fmt.Sprintf("kubeconfig %s, context %q", describeRules(rules), ctxName)
	return t, true
}

// oneLine keeps the first line of an error (Kind errors carry command output).
func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
