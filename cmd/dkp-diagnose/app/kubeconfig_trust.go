package app

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// allowKubeconfigExecFlag names the Cluster API clusters whose kubeconfig
// secrets are trusted to run credential plugins and read local files.
const allowKubeconfigExecFlag = "allow-kubeconfig-exec"

func (o *options) bindKubeconfigTrustFlag(f *pflag.FlagSet) {
	f.StringSliceVar(&o.allowKubeconfigExec, allowKubeconfigExecFlag, nil,
		"NAMESPACE/NAME of Cluster API clusters whose kubeconfig secrets may run exec credential plugins, use auth providers or read local files (refused by default: whoever can write the secret would run code here)")
}

// kubeconfigPolicy turns --allow-kubeconfig-exec into the library's policy.
func (o *options) kubeconfigPolicy() (targets.KubeconfigPolicy, error) {
	var p targets.KubeconfigPolicy
	for _, s := range o.allowKubeconfigExec {
		r, err := targets.ParseClusterRef(s)
		if err != nil {
			return p, fmt.Errorf("--%s %q: want NAMESPACE/NAME of a Cluster API cluster", allowKubeconfigExecFlag, s)
		}
		p.Allow = append(p.Allow, r)
	}
	return p, nil
}
