package targets

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

var dnsPrefix = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?-$`)

func TestDerivePrefix(t *testing.T) {
	cases := []struct {
		role      Role
		ns, name  string
		want      string
		wantRegex string
	}{
		{role: RoleCurrent, name: "mgmt", want: "current-mgmt-"},
		{role: RoleCurrent, name: "kind-konvoy-capi-bootstrapper", want: "current-kind-konvoy-capi-bootstrapper-"},
		{role: RoleBootstrap, name: "konvoy-capi-bootstrapper", want: "bootstrap-konvoy-capi-bootstrapper-"},
		{role: RoleWorkload, ns: "default", name: "prod-1", want: "workload-default-prod-1-"},
		{role: RoleWorkload, ns: "fleet", name: "eu.west.1", wantRegex: `^workload-fleet-eu-west-1-[0-9a-f]{8}-$`},
		{role: RoleCurrent, name: "admin@Prod", wantRegex: `^current-admin-prod-[0-9a-f]{8}-$`},
		{role: RoleCurrent, name: "", wantRegex: `^current-x-[0-9a-f]{8}-$`},
		{role: RoleCurrent, name: "arn:aws:eks:us-west-2:123456789012:cluster/" + strings.Repeat("long", 30), wantRegex: `^current-arn-aws-eks-.*-[0-9a-f]{8}-$`},
	}
	for _, c := range cases {
		got := DerivePrefix(c.role, c.ns, c.name)
		assert.Regexp(t, dnsPrefix, got, "DNS-safe")
		assert.LessOrEqual(t, len(got), maxPrefixBody+10)
		if c.want != "" {
			assert.Equal(t, c.want, got)
		} else {
			assert.Regexp(t, c.wantRegex, got)
		}
		assert.Equal(t, got, DerivePrefix(c.role, c.ns, c.name), "stable")
	}
	// Lossy sanitising never makes two names meet.
	assert.NotEqual(t, DerivePrefix(RoleCurrent, "", "admin@prod"), DerivePrefix(RoleCurrent, "", "admin-prod"))
	assert.NotEqual(t, DerivePrefix(RoleCurrent, "", "Prod"), DerivePrefix(RoleCurrent, "", "prod"))
	// Roles are kept apart.
	assert.NotEqual(t, DerivePrefix(RoleCurrent, "", "x"), DerivePrefix(RoleBootstrap, "", "x"))
}

func TestAssignPrefixes(t *testing.T) {
	t.Run("current alone keeps troubleshoot's name", func(t *testing.T) {
		ts := []*Target{{Role: RoleCurrent, Name: "mgmt"}}
		AssignPrefixes(ts, "")
		assert.Equal(t, "", ts[0].Prefix)
	})
	t.Run("bundle-prefix replaces a single target's prefix", func(t *testing.T) {
		ts := []*Target{{Role: RoleBootstrap, Name: "konvoy-capi-bootstrapper"}}
		AssignPrefixes(ts, "case-42-")
		assert.Equal(t, "case-42-", ts[0].Prefix)
	})
	t.Run("bootstrap alone gets its derived prefix", func(t *testing.T) {
		ts := []*Target{{Role: RoleBootstrap, Name: "konvoy-capi-bootstrapper"}}
		AssignPrefixes(ts, "")
		assert.Equal(t, "bootstrap-konvoy-capi-bootstrapper-", ts[0].Prefix)
	})
	t.Run("several targets, bundle-prefix goes first", func(t *testing.T) {
		ts := []*Target{{Role: RoleCurrent, Name: "mgmt"}, {Role: RoleWorkload, Namespace: "ns", Name: "w1"}}
		AssignPrefixes(ts, "case-42-")
		assert.Equal(t, "case-42-current-mgmt-", ts[0].Prefix)
		assert.Equal(t, "case-42-workload-ns-w1-", ts[1].Prefix)
	})
	t.Run("colliding workloads are told apart, stably", func(t *testing.T) {
		mk := func() []*Target {
			return []*Target{
				{Role: RoleCurrent, Name: "mgmt"},
				{Role: RoleWorkload, Namespace: "a-b", Name: "c"},
				{Role: RoleWorkload, Namespace: "a", Name: "b-c"},
			}
		}
		ts := mk()
		AssignPrefixes(ts, "")
		assert.NotEqual(t, ts[1].Prefix, ts[2].Prefix)
		assert.Regexp(t, `^workload-a-b-c-[0-9a-f]{8}-$`, ts[1].Prefix)
		again := mk()
		AssignPrefixes(again, "")
		for i := range ts {
			assert.Equal(t, ts[i].Prefix, again[i].Prefix)
		}
	})
}

func TestNormalizeServer(t *testing.T) {
	assert.Equal(t, "https://10.0.0.1:443", NormalizeServer("https://10.0.0.1"))
	assert.Equal(t, "https://10.0.0.1:443", NormalizeServer("HTTPS://10.0.0.1:443/"))
	assert.Equal(t, "https://127.0.0.1:6443", NormalizeServer("https://localhost:6443"))
	assert.NotEqual(t, NormalizeServer("https://10.0.0.1:6443"), NormalizeServer("https://10.0.0.1:6444"))
}

func TestDedupe(t *testing.T) {
	cfg := func(host string) *rest.Config { return &rest.Config{Host: host} }
	mgmt := &Target{Role: RoleCurrent, Name: "mgmt", Config: cfg("https://10.0.0.1:6443"), Probe: &ProbeResult{Reachable: true, ClusterUID: "uid-m"}}
	// A self-managed management cluster's own Cluster object, same URL.
	self := &Target{Role: RoleWorkload, Namespace: "default", Name: "mgmt", Config: cfg("https://10.0.0.1:6443/")}
	// The same cluster through another address (load balancer), same UID.
	viaLB := &Target{Role: RoleWorkload, Namespace: "default", Name: "mgmt-lb", Config: cfg("https://mgmt.example.com"), Probe: &ProbeResult{Reachable: true, ClusterUID: "uid-m"}}
	w1 := &Target{Role: RoleWorkload, Namespace: "default", Name: "w1", Config: cfg("https://10.0.0.2:6443"), Probe: &ProbeResult{Reachable: true, ClusterUID: "uid-1"}}
	// w1 seen again from the bootstrap cluster.
	w1again := &Target{Role: RoleWorkload, Namespace: "default", Name: "w1", Config: cfg("https://10.0.0.2:6443")}
	// Unreachable clusters have no UID; they never match on it.
	dead1 := &Target{Role: RoleWorkload, Namespace: "default", Name: "dead1", Config: cfg("https://10.0.0.3:6443"), Probe: &ProbeResult{}}
	dead2 := &Target{Role: RoleWorkload, Namespace: "default", Name: "dead2", Config: cfg("https://10.0.0.4:6443"), Probe: &ProbeResult{}}

	kept, dropped := Dedupe([]*Target{mgmt, self, viaLB, w1, w1again, dead1, dead2})
	assert.Equal(t, []*Target{mgmt, w1, dead1, dead2}, kept)
	require.Len(t, dropped, 3)
	assert.Same(t, self, dropped[0].Dropped)
	assert.Same(t, mgmt, dropped[0].Kept)
	assert.Contains(t, dropped[0].Why, "same API server")
	assert.Same(t, viaLB, dropped[1].Dropped)
	assert.Contains(t, dropped[1].Why, "kube-system namespace UID")
	assert.Same(t, w1again, dropped[2].Dropped)
}

// TestDedupeKeepsReachable: two Cluster objects reach the same API server,
// the first through a kubeconfig with a wrong CA. The one that works is
// kept, whatever the order, and the other's entry says why it was dropped.
func TestDedupeKeepsReachable(t *testing.T) {
	cfg := func(host string) *rest.Config { return &rest.Config{Host: host} }
	mgmt := &Target{Role: RoleCurrent, Name: "mgmt", Config: cfg("https://10.0.0.1:6443"), Probe: &ProbeResult{Reachable: true, ClusterUID: "uid-m"}}
	bad := &Target{Role: RoleWorkload, Namespace: "fleet", Name: "a-wrong-ca", Config: cfg("https://10.0.0.2:6443"),
		Probe: &ProbeResult{Error: "tls: failed to verify certificate: x509: certificate signed by unknown authority\nmore"}}
	// A third, unprobed sight of the same server is dropped as before.
	again := &Target{Role: RoleWorkload, Namespace: "fleet", Name: "c-again", Config: cfg("https://10.0.0.2:6443")}
	good := &Target{Role: RoleWorkload, Namespace: "fleet", Name: "b-good", Config: cfg("https://10.0.0.2:6443"), Probe: &ProbeResult{Reachable: true, ClusterUID: "uid-w"}}

	for name, order := range map[string][]*Target{"bad first": {mgmt, bad, again, good}, "good first": {mgmt, good, again, bad}} {
		t.Run(name, func(t *testing.T) {
			kept, dropped := Dedupe(order)
			assert.Equal(t, []*Target{mgmt, good}, kept)
			require.Len(t, dropped, 2)
			for _, d := range dropped {
				assert.Same(t, good, d.Kept, "every duplicate points at the target kept")
			}
			i := slices.IndexFunc(dropped, func(d Duplicate) bool { return d.Dropped == bad })
			require.GreaterOrEqual(t, i, 0)
			assert.Equal(t, "same API server https://10.0.0.2:6443; workload fleet/a-wrong-ca did not answer: tls: failed to verify certificate: x509: certificate signed by unknown authority", dropped[i].Why)
		})
	}
}

func TestParseClusterRef(t *testing.T) {
	r, err := ParseClusterRef("fleet/prod-1")
	require.NoError(t, err)
	assert.Equal(t, ClusterRef{Namespace: "fleet", Name: "prod-1"}, r)
	for _, bad := range []string{"prod-1", "/x", "x/", "a/b/c", ""} {
		_, err := ParseClusterRef(bad)
		var re *ClusterRefError
		require.ErrorAs(t, err, &re, bad)
		assert.Equal(t, bad, re.Input)
	}
}

type fakeKind struct {
	names   []string
	listErr error
	kc      string
}

func (f fakeKind) List() ([]string, error) { return f.names, f.listErr }
func (f fakeKind) KubeConfig(string, bool) (string, error) {
	return f.kc, nil
}

const kindKubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: kind-konvoy-capi-bootstrapper, cluster: {server: "https://127.0.0.1:40123"}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: kind-konvoy-capi-bootstrapper, context: {cluster: kind-konvoy-capi-bootstrapper, user: u}}]
current-context: kind-konvoy-capi-bootstrapper
`

func TestBootstrap(t *testing.T) {
	t.Run("found through kind", func(t *testing.T) {
		tg, err := Bootstrap(BootstrapOptions{KindProvider: fakeKind{names: []string{"other", DefaultBootstrapClusterName}, kc: kindKubeconfig}})
		require.NoError(t, err)
		assert.Equal(t, RoleBootstrap, tg.Role)
		assert.Equal(t, DefaultBootstrapClusterName, tg.Name)
		assert.Equal(t, "https://127.0.0.1:40123", tg.Config.Host)
		assert.Equal(t, "Kind cluster konvoy-capi-bootstrapper", tg.Source)
	})
	t.Run("missing kind cluster is one line", func(t *testing.T) {
		_, err := Bootstrap(BootstrapOptions{ClusterName: "mine", KindProvider: fakeKind{names: []string{"other"}}})
		require.Error(t, err)
		assert.Equal(t, `bootstrap cluster "mine": no such Kind cluster (found: other)`, err.Error())
		var be *BootstrapError
		require.ErrorAs(t, err, &be)
		assert.Equal(t, NoKindCluster, be.Problem)
		assert.Equal(t, "mine", be.Cluster)
	})
	t.Run("container engine error is one line", func(t *testing.T) {
		_, err := Bootstrap(BootstrapOptions{KindProvider: fakeKind{listErr: errors.New("docker ps failed\nCommand Output: boom")}})
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "\n")
	})
	t.Run("explicit kubeconfig", func(t *testing.T) {
		p := t.TempDir() + "/kc"
		require.NoError(t, writeFile(p, kindKubeconfig))
		tg, err := Bootstrap(BootstrapOptions{Kubeconfig: p})
		require.NoError(t, err)
		assert.Equal(t, RoleBootstrap, tg.Role)
		assert.Equal(t, DefaultBootstrapClusterName, tg.Name)
		assert.Contains(t, tg.Source, p)
	})
	t.Run("missing kubeconfig file is bad input", func(t *testing.T) {
		_, err := Bootstrap(BootstrapOptions{Kubeconfig: t.TempDir() + "/nope"})
		require.ErrorIs(t, err, ErrBadInput)
		assert.Contains(t, err.Error(), "nope")
		var ke *KubeconfigError
		require.ErrorAs(t, err, &ke)
		assert.Equal(t, RoleBootstrap, ke.Role)
	})
}

func TestResolveBootstrapFallsBackToKindContext(t *testing.T) {
	p := t.TempDir() + "/kc"
	require.NoError(t, writeFile(p, kindKubeconfig))
	plan, err := Resolve(t.Context(), Request{
		Rules:         &clientcmd.ClientConfigLoadingRules{ExplicitPath: p},
		Overrides:     &clientcmd.ConfigOverrides{},
		Bootstrap:     true,
		BootstrapOpts: BootstrapOptions{KindProvider: fakeKind{listErr: errors.New("docker ps failed")}},
	})
	require.NoError(t, err)
	require.Len(t, plan.Targets, 1)
	b := plan.Targets[0]
	assert.Equal(t, RoleBootstrap, b.Role)
	assert.Equal(t, "https://127.0.0.1:40123", b.Config.Host)
	assert.Contains(t, b.Source, `context "kind-konvoy-capi-bootstrapper"`)
	assert.Equal(t, "bootstrap-konvoy-capi-bootstrapper-", b.Prefix)
	assert.Empty(t, plan.Skipped)

	// Without such a context, the Kind error is the skip reason, one line.
	other := t.TempDir() + "/other"
	require.NoError(t, writeFile(other, strings.ReplaceAll(kindKubeconfig, "kind-konvoy", "x-konvoy")))
	plan, err = Resolve(t.Context(), Request{
		Rules:         &clientcmd.ClientConfigLoadingRules{ExplicitPath: other},
		Overrides:     &clientcmd.ConfigOverrides{},
		Bootstrap:     true,
		BootstrapOpts: BootstrapOptions{KindProvider: fakeKind{names: []string{"kind"}}},
	})
	require.NoError(t, err)
	assert.Empty(t, plan.Targets)
	require.Len(t, plan.Skipped, 1)
	assert.True(t, plan.Skipped[0].Failure)
	assert.Contains(t, plan.Skipped[0].Reason, "no such Kind cluster (found: kind)")
}

// TestResolveSkipCurrent: a bootstrap request that leaves the current
// cluster to someone else (an in-cluster run) has the bootstrap cluster
// alone, with AllClusters too; its Cluster API clusters are looked for.
func TestResolveSkipCurrent(t *testing.T) {
	p := t.TempDir() + "/kc"
	require.NoError(t, writeFile(p, kindKubeconfig))
	plan, err := Resolve(t.Context(), Request{
		Rules:         &clientcmd.ClientConfigLoadingRules{ExplicitPath: p},
		Overrides:     &clientcmd.ConfigOverrides{},
		Bootstrap:     true,
		BootstrapOpts: BootstrapOptions{Kubeconfig: p},
		AllClusters:   true,
		SkipCurrent:   true,
	})
	require.NoError(t, err)
	require.Len(t, plan.Targets, 1)
	assert.Equal(t, RoleBootstrap, plan.Targets[0].Role)
	require.Len(t, plan.Notes, 1, "the bootstrap cluster's Cluster API clusters were looked for")
	assert.Contains(t, plan.Notes[0], "bootstrap cluster konvoy-capi-bootstrapper: cannot look for Cluster API clusters")
}
