package targets

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// KubeconfigPolicy says which kubeconfigs read from a cluster (Cluster API
// kubeconfig Secrets) may do more than name a server and carry credentials.
//
// A kubeconfig can name a command to run for credentials (an exec plugin),
// an auth provider plugin, or files on the local disk (client certificate
// and key, CA bundle, token file). In a kubeconfig the operator wrote, that
// is a feature; in one read from a Secret it lets whoever can write that
// Secret run code on, or read files from, the machine of the person
// diagnosing the cluster. So such kubeconfigs are refused unless their
// Cluster is named in Allow.
type KubeconfigPolicy struct {
	// Allow names the Clusters whose kubeconfig secrets are trusted with
	// exec plugins, auth providers and local file references.
	Allow []ClusterRef
}

// allows reports whether ref's kubeconfig is trusted.
func (p KubeconfigPolicy) allows(ref ClusterRef) bool {
	return slices.Contains(p.Allow, ref)
}

// UnsafeKubeconfigError says what a kubeconfig read from a cluster would have
// done on the local machine.
type UnsafeKubeconfigError struct {
	// Uses lists each refused entry, like `user "admin" runs the exec
	// credential plugin "/bin/sh"`.
	Uses []string
}

func (e *UnsafeKubeconfigError) Error() string {
	return "refused: " + strings.Join(e.Uses, "; ") +
		" (a kubeconfig read from a cluster may not run commands or read local files;" +
		" allow this cluster by name only if you trust whoever can write its secret, see docs/targets.md, Security)"
}

// checkKubeconfigData parses kubeconfig bytes and refuses every entry that
// would run a local command or read a local file, before anything of it is
// used: client-go reads a tokenFile as soon as a REST config is built.
// Every user and cluster entry is checked, not only the current context's,
// so no fallback or override can reach an unchecked one.
func checkKubeconfigData(data []byte) error {
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return err
	}
	return checkKubeconfig(cfg)
}

func checkKubeconfig(cfg *clientcmdapi.Config) error {
	var uses []string
	for _, name := range slices.Sorted(maps.Keys(cfg.AuthInfos)) {
		a := cfg.AuthInfos[name]
		if a == nil {
			continue
		}
		if a.Exec != nil {
			uses = append(uses, fmt.Sprintf("user %q runs the exec credential plugin %q", name, a.Exec.Command))
		}
		if a.AuthProvider != nil {
			uses = append(uses, fmt.Sprintf("user %q uses the auth provider %q", name, a.AuthProvider.Name))
		}
		for _, f := range []struct{ field, path string }{
			{"client-certificate", a.ClientCertificate},
			{"client-key", a.ClientKey},
			{"tokenFile", a.TokenFile},
		} {
			if f.path != "" {
				uses = append(uses, fmt.Sprintf("user %q reads the local file %q (%s)", name, f.path, f.field))
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Clusters)) {
		if c := cfg.Clusters[name]; c != nil && c.CertificateAuthority != "" {
			uses = append(uses, fmt.Sprintf("cluster %q reads the local file %q (certificate-authority)", name, c.CertificateAuthority))
		}
	}
	if len(uses) > 0 {
		return &UnsafeKubeconfigError{Uses: uses}
	}
	return nil
}
