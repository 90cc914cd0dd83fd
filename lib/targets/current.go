package targets

import (
	"fmt"

	"k8s.io/client-go/tools/clientcmd"
)

// Current resolves the cluster of a kubeconfig context, with kubectl's rules:
// --kubeconfig, else $KUBECONFIG, else ~/.kube/config, and the overrides of
// the standard flags (--context, --cluster, --user, --namespace, …).
func Current(rules *clientcmd.ClientConfigLoadingRules, overrides *clientcmd.ConfigOverrides) (*Target, error) {
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cfg, err := cc.ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		// client-go's own text ("try setting KUBERNETES_MASTER") points
		// at a variable nothing reads any more.
		return nil, fmt.Errorf("no kubeconfig found (looked at %s, and this is not a pod in a cluster): set KUBECONFIG or pass a kubeconfig file explicitly", describeRules(rules))
	}
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", describeRules(rules), err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", describeRules(rules), err)
	}
	name := overrides.CurrentContext
	if name == "" {
		name = raw.CurrentContext
	}
	return &Target{
		Role:             RoleCurrent,
		Name:             name,
		Source:           fmt.Sprintf("kubeconfig %s, context %q", describeRules(rules), name),
		DefaultNamespace: ns,
		Server:           cfg.Host,
		Config:           cfg,
	}, nil
}

func describeRules(rules *clientcmd.ClientConfigLoadingRules) string {
	if rules.ExplicitPath != "" {
		return rules.ExplicitPath
	}
	if p := rules.GetLoadingPrecedence(); len(p) > 0 {
		if len(p) == 1 {
			return p[0]
		}
		return fmt.Sprint(p)
	}
	return "(none)"
}
