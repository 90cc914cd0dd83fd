package targets

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const safeKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: Zm9v
users:
- name: u
  user:
    token: abc
    client-certificate-data: Zm9v
    client-key-data: Zm9v
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
`

func TestCheckKubeconfigData(t *testing.T) {
	require.NoError(t, checkKubeconfigData([]byte(safeKubeconfig)), "inline data is fine")

	for name, tc := range map[string]struct{ kubeconfig, want string }{
		"exec": {`apiVersion: v1
kind: Config
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: /bin/sh
      args: ["-c", "touch /tmp/pwned"]
      interactiveMode: Never
`, `user "u" runs the exec credential plugin "/bin/sh"`},
		"auth provider": {`apiVersion: v1
kind: Config
users:
- name: u
  user:
    auth-provider:
      name: oidc
`, `user "u" uses the auth provider "oidc"`},
		"files": {`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority: /etc/ca.crt
users:
- name: u
  user:
    client-certificate: /home/me/.ssh/id_rsa
    client-key: /home/me/key
    tokenFile: /var/run/token
`, `user "u" reads the local file "/home/me/.ssh/id_rsa" (client-certificate); user "u" reads the local file "/home/me/key" (client-key); user "u" reads the local file "/var/run/token" (tokenFile); cluster "c" reads the local file "/etc/ca.crt" (certificate-authority)`},
		// An entry no context names is refused too: nothing of the file
		// is left unchecked.
		"unused entry": {`apiVersion: v1
kind: Config
users:
- name: u
  user: {token: abc}
- name: other
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: evil, interactiveMode: Never}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
`, `user "other" runs the exec credential plugin "evil"`},
	} {
		t.Run(name, func(t *testing.T) {
			err := checkKubeconfigData([]byte(tc.kubeconfig))
			var unsafe *UnsafeKubeconfigError
			require.True(t, errors.As(err, &unsafe), "%v", err)
			assert.Contains(t, err.Error(), "refused: "+tc.want+" (")
		})
	}
}

func TestKubeconfigPolicyAllows(t *testing.T) {
	p := KubeconfigPolicy{Allow: []ClusterRef{{Namespace: "fleet", Name: "a"}}}
	assert.True(t, p.allows(ClusterRef{Namespace: "fleet", Name: "a"}))
	assert.False(t, p.allows(ClusterRef{Namespace: "other", Name: "a"}))
	assert.False(t, KubeconfigPolicy{}.allows(ClusterRef{Namespace: "fleet", Name: "a"}))
}
