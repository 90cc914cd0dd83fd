package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// serviceUnits are the units whose state systemd reports: the kubelet and
// the runtimes (a node runs one of them; the other shows
// LoadState=not-found).
var serviceUnits = []string{"kubelet.service", "containerd.service", "crio.service"}

// serviceProperties are what a reader asks first of a failing service:
// is it active, since when, how often did it restart, how did its main
// process last end.
var serviceProperties = []string{
	"Id", "LoadState", "UnitFileState", "ActiveState", "SubState", "Result",
	"ActiveEnterTimestamp", "InactiveEnterTimestamp", "StateChangeTimestamp",
	"MainPID", "ExecMainStartTimestamp", "ExecMainExitTimestamp", "ExecMainCode", "ExecMainStatus",
	"NRestarts", "FragmentPath", "DropInPaths",
}

// collectServices asks the host's systemd through the host's own
// systemctl (systemd's state lives in the running manager, not in files).
// Its output is systemctl show's: one KEY=value block per unit.
func collectServices(ctx context.Context, c *collector) ([]byte, error) {
	args := append([]string{"show", "--no-pager", "--property=" + strings.Join(serviceProperties, ",")}, serviceUnits...)
	out, hc, err := c.runHost(ctx, false, maxCommandBytes, "systemctl", args...)
	if errors.Is(err, errNoHostProgram) {
		return nil, notApplicable(fmt.Sprintf("%v: the host does not run systemd; systemd_units has what its files say", err))
	}
	if err != nil {
		return nil, err
	}
	return []byte(redact(fmt.Sprintf("# %s\n%s", hc, out.stdout))), nil
}
