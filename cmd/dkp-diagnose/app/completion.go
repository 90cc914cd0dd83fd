package app

import (
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	kind "sigs.k8s.io/kind/pkg/cluster"
)

// kindListTimeout bounds asking the container engine for Kind clusters
// while completing: a hung engine must not hang the user's shell.
const kindListTimeout = 2 * time.Second

// registerCompletions completes the flag values cobra cannot guess: profile
// names from the config file, kubeconfig contexts, Kind clusters, and YAML
// files where specs and configs go. Completions only read local files (and
// ask the container engine, briefly): contacting clusters would make the
// shell wait.
func (o *options) registerCompletions(root *cobra.Command) {
	yamlFiles := cobra.FixedCompletions([]string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt)
	root.ValidArgsFunction = yamlFiles
	complete := map[string]cobra.CompletionFunc{
		"profile": func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return o.profileNames(root), cobra.ShellCompDirectiveNoFileComp
		},
		"context": func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return o.contextNames(), cobra.ShellCompDirectiveNoFileComp
		},
		"bootstrap-cluster-name": func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return o.kindClusterNames(), cobra.ShellCompDirectiveNoFileComp
		},
		"output":    cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp),
		"config":    yamlFiles,
		"redactors": yamlFiles,
		// NAMESPACE/NAME of Cluster API clusters would need a cluster.
		"cluster": cobra.NoFileCompletions,
	}
	for name, f := range complete {
		// Errors only for unknown flags or double registration: both are
		// bugs caught by the completion tests.
		_ = root.RegisterFlagCompletionFunc(name, f)
	}
}

// profileNames are the profiles of the config file the flags and
// environment point at; none when it cannot be read.
func (o *options) profileNames(root *cobra.Command) []string {
	cf, err := loadConfig(o.configPath, settingsOf(root))
	if err != nil {
		return nil
	}
	return cf.profileNames()
}

// contextNames are the contexts of the kubeconfig, found as a run finds it.
func (o *options) contextNames() []string {
	cfg, err := o.rawKubeconfig()
	if err != nil {
		return nil
	}
	var out []string
	for name := range cfg.Contexts {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// kindClusterNames are Kind clusters: the kind-<name> contexts of the
// kubeconfig (what "kind create cluster" writes) and, if it answers in time,
// what the container engine knows.
func (o *options) kindClusterNames() []string {
	seen := map[string]bool{}
	if cfg, err := o.rawKubeconfig(); err == nil {
		for name := range cfg.Contexts {
			if n, ok := strings.CutPrefix(name, "kind-"); ok && n != "" {
				seen[n] = true
			}
		}
	}
	names := make(chan []string, 1)
	go func() {
		var l []string
		if opt, err := kind.DetectNodeProvider(); err == nil {
			l, _ = kind.NewProvider(opt).List()
		}
		names <- l
	}()
	select {
	case l := <-names:
		for _, n := range l {
			seen[n] = true
		}
	case <-time.After(kindListTimeout):
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// rawKubeconfig loads the kubeconfig by kubectl's rules, honouring
// --kubeconfig.
func (o *options) rawKubeconfig() (*clientcmdapi.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.kubeconfig
	return rules.Load()
}
