package targets

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// ProbeTimeout bounds one reachability check.
const ProbeTimeout = 5 * time.Second

// ProbeResult says whether a target's API server answered.
type ProbeResult struct {
	Reachable bool   `json:"reachable"`
	Version   string `json:"version,omitempty"`
	// ClusterUID is the UID of the kube-system namespace: the same for every
	// way of reaching one cluster, used to collect it once.
	ClusterUID string `json:"clusterUID,omitempty"`
	Error      string `json:"error,omitempty"`
}

// Probe asks every target's API server for /version (and the kube-system
// namespace UID) with a short timeout, concurrently, and stores the answer in
// Target.Probe.
func Probe(ctx context.Context, ts []*Target) {
	var wg sync.WaitGroup
	for _, t := range ts {
		wg.Go(func() { t.Probe = probe(ctx, t.Config) })
	}
	wg.Wait()
}

func probe(ctx context.Context, cfg *rest.Config) *ProbeResult {
	ctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	c := rest.CopyConfig(cfg)
	c.Timeout = ProbeTimeout
	cs, err := kubernetes.NewForConfig(c)
	if err != nil {
		return &ProbeResult{Error: err.Error()}
	}
	// kube-system's UID (what Dedupe compares) is asked for alongside
	// /version rather than after it: one round trip per target, not two.
	uid := make(chan string, 1)
	go func() {
		ns, err := cs.CoreV1().Namespaces().Get(ctx, metav1.NamespaceSystem, metav1.GetOptions{})
		if err != nil {
			uid <- ""
			return
		}
		uid <- string(ns.UID)
	}()
	v, err := cs.Discovery().ServerVersion() // GET /version, bounded by c.Timeout
	if err != nil {
		cancel()
		<-uid
		return &ProbeResult{Error: err.Error()}
	}
	return &ProbeResult{Reachable: true, Version: v.GitVersion, ClusterUID: <-uid}
}

// NormalizeServer turns an API server URL into a comparable key: lower-case
// scheme and host, default port made explicit, no trailing slash.
func NormalizeServer(server string) string {
	u, err := url.Parse(strings.TrimSpace(server))
	if err != nil || u.Host == "" {
		return strings.TrimRight(strings.ToLower(server), "/")
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == "" {
		scheme = "https"
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		port = "443"
		if scheme == "http" {
			port = "80"
		}
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	return scheme + "://" + host + ":" + port + strings.TrimRight(u.Path, "/")
}

// Duplicate says why a target was dropped as a second sight of another.
type Duplicate struct {
	Dropped *Target
	Kept    *Target
	Why     string
}

// Dedupe keeps one of the targets that reach the same cluster: the same API
// server URL (after NormalizeServer) or, when both were probed, the same
// kube-system namespace UID. The first one is kept, unless the probe says it
// cannot reach the server (a wrong CA, an expired credential) and a later
// one can: then the one that works is kept, so the cluster is collected.
// Order matters: put bootstrap and current targets first so that a
// self-managed management cluster keeps its role.
func Dedupe(ts []*Target) (kept []*Target, dropped []Duplicate) {
	for _, t := range ts {
		i := slices.IndexFunc(kept, func(k *Target) bool { return sameCluster(k, t) != "" })
		if i < 0 {
			kept = append(kept, t)
			continue
		}
		k := kept[i]
		why := sameCluster(k, t)
		if unreached(k) && reached(t) {
			kept[i] = t
			for j := range dropped {
				if dropped[j].Kept == k {
					dropped[j].Kept = t
				}
			}
			k, t = t, k
		}
		if unreached(t) {
			why += fmt.Sprintf("; %s %s did not answer: %s", t.Role, t.Label(), oneLine(errors.New(t.Probe.Error)))
		}
		dropped = append(dropped, Duplicate{Dropped: t, Kept: k, Why: why})
	}
	return kept, dropped
}

// reached and unreached tell a probed target that answered from one that
// did not; an unprobed target is neither.
func reached(t *Target) bool   { return t.Probe != nil && t.Probe.Reachable }
func unreached(t *Target) bool { return t.Probe != nil && !t.Probe.Reachable }

func sameCluster(a, b *Target) string {
	if a.Config != nil && b.Config != nil && NormalizeServer(a.Config.Host) == NormalizeServer(b.Config.Host) {
		return "same API server " + a.Config.Host
	}
	if a.Probe != nil && b.Probe != nil && a.Probe.ClusterUID != "" && a.Probe.ClusterUID == b.Probe.ClusterUID {
		return "same kube-system namespace UID " + a.Probe.ClusterUID
	}
	return ""
}
