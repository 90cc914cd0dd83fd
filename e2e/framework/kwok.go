package framework

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// tarShim stands in for tar in kwok's PATH. kwok runs `exec` commands on the
// host, so `tar cf - /var/log` would archive the host's /var/log. The shim
// resolves absolute paths inside the pod's fixture root ($FAKEROOT, set per
// pod by an Exec object or per cluster by the ClusterExec) and strips the
// leading "/" as GNU tar does for member names, which `kubectl cp` relies on.
// Without FAKEROOT it refuses: a test must never read the real host.
const tarShim = `#!/usr/bin/env bash
# Written by the dkp-diagnose e2e framework; see e2e/framework/kwok.go.
set -u
REALTAR=@REALTAR@
if [ -z "$REALTAR" ]; then
  echo "tar (e2e shim): no tar found on the host" >&2
  exit 127
fi
if [ -z "${FAKEROOT:-}" ]; then
  echo "tar (e2e shim): FAKEROOT is not set for this pod, refusing to read the host" >&2
  exit 2
fi
cd "$FAKEROOT" || exit 2
args=()
for a in "$@"; do
  case "$a" in
    ..|../*|*/..|*/../*|*=..|*=../*)
      echo "tar (e2e shim): refusing path outside the pod root: $a" >&2
      exit 2 ;;
    /) args+=(.) ;;
    /*) a="${a#"${a%%[!/]*}"}"; args+=("${a:-.}") ;;
    *) args+=("$a") ;;
  esac
done
exec "$REALTAR" "${args[@]}"
`

// fakerootProbe prints the fixture root kwok would use for a pod; SetPodRoot
// runs it to know when kwok has seen a new Exec object.
const fakerootProbe = `#!/bin/sh
printf '%s' "${FAKEROOT:-}"
`

const probeCommand = "dkp-e2e-fakeroot"

// kwokDefaults is the cluster-wide fixture config: every container logs the
// default file and execs in the empty default root, until a per-pod Logs or
// Exec object (SetPodLogs, SetPodRoot) overrides it.
const kwokDefaults = `---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: dkp-e2e-default-logs
spec:
  selector: {}
  logs:
  - logsFile: %[1]q
    previousLogsFile: %[1]q
    follow: false
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata:
  name: dkp-e2e-default-exec
spec:
  selector: {}
  execs:
  - local:
      workDir: /
      envs:
      - name: FAKEROOT
        value: %[2]q
`

// NoFixtureFile is the one file a node collector copies from a node whose
// pod has no fixture root of its own (SetPodRoot).
const NoFixtureFile = "dkp-e2e-no-fixture.txt"

// DefaultLogLine is what every container logs unless SetPodLogs says otherwise.
const DefaultLogLine = "dkp-e2e: no log fixture set for this container"

// prepareKwok writes the shims, the default fixtures and kwok's config file.
func (c *Cluster) prepareKwok() (configPath string, err error) {
	dir := filepath.Join(c.Dir, "kwok")
	c.shimDir = filepath.Join(dir, "shims")
	c.fixturesDir = filepath.Join(dir, "fixtures")
	defaultRoot := filepath.Join(c.fixturesDir, "default-root")
	// data/ is where node collectors' keeper containers hold their output:
	// a node with no fixture of its own then yields that folder, not a
	// tar error.
	for _, d := range []string{c.shimDir, filepath.Join(defaultRoot, "data"), filepath.Join(dir, "home")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", fmt.Errorf("create %s: %w", d, err)
		}
	}
	// One file there, as a real node collector always writes some: a
	// node collector's copy of a node without a fixture is not empty
	// (an empty copy is a warning of the run).
	if err := os.WriteFile(filepath.Join(defaultRoot, "data", NoFixtureFile), []byte(DefaultLogLine+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("write default root: %w", err)
	}
	if err := writeShims(c.shimDir); err != nil {
		return "", err
	}
	defaultLog := filepath.Join(c.fixturesDir, "default.log")
	if err := os.WriteFile(defaultLog, criLog(DefaultLogLine+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("write default log: %w", err)
	}
	stages, err := os.ReadFile(filepath.Join(c.binDir, stagesFile))
	if err != nil {
		return "", fmt.Errorf("read kwok stages: %w", err)
	}
	if stages, err = holdPodsOn(stages, c.stuckNodes); err != nil {
		return "", err
	}
	if stages, err = leaveNotReady(stages); err != nil {
		return "", err
	}
	if c.jobPodsRun {
		if stages, err = dropStage(stages, "pod-complete"); err != nil {
			return "", err
		}
	}
	cfg := append(stages, fmt.Appendf(nil, kwokDefaults, defaultLog, defaultRoot)...)
	configPath = filepath.Join(dir, "kwok.yaml")
	if err := os.WriteFile(configPath, cfg, 0o644); err != nil {
		return "", fmt.Errorf("write kwok config: %w", err)
	}
	return configPath, nil
}

// writeShims writes the commands that kwok must find before the host's.
func writeShims(dir string) error {
	// Only exec tests need tar; without one the shim tells them so.
	realTar, _ := exec.LookPath("tar")
	shim := strings.Replace(tarShim, "@REALTAR@", shellQuote(realTar), 1)
	if err := writeScript(filepath.Join(dir, "tar"), shim); err != nil {
		return err
	}
	return writeScript(filepath.Join(dir, probeCommand), fakerootProbe)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func writeScript(path, body string) error {
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		return fmt.Errorf("write shim %s: %w", path, err)
	}
	return nil
}

// startKwok installs the Logs and Exec CRDs kwok watches (kwok does not
// install them itself) and starts kwok as the kubelet of every node.
func (c *Cluster) startKwok(ctx context.Context, port int) error {
	configPath, err := c.prepareKwok()
	if err != nil {
		return fmt.Errorf("prepare kwok: %w", err)
	}
	crds := []string{filepath.Join(c.binDir, logsCRDFile), filepath.Join(c.binDir, execsCRDFile)}
	if err := c.InstallCRDs(ctx, crds...); err != nil {
		return fmt.Errorf("install kwok CRDs: %w", err)
	}
	args := []string{
		"--kubeconfig=" + c.KubeconfigPath,
		"--config=" + configPath,
		"--enable-crds=Logs,Exec",
		"--manage-all-nodes=true",
		"--node-ip=127.0.0.1",
		"--node-port=" + strconv.Itoa(port),
		"--server-address=127.0.0.1:" + strconv.Itoa(port),
		"--tls-cert-file=" + c.pki.Kubelet.CertFile,
		"--tls-private-key-file=" + c.pki.Kubelet.KeyFile,
		"--node-lease-duration-seconds=40",
		"--cidr=10.244.0.0/16",
	}
	return c.start("kwok", args, c.kwokEnv())
}

// kwokEnv puts the shims first in PATH (kwok looks commands up in its own
// PATH, not in the Exec envs) and gives kwok its own HOME so a developer's
// ~/.kwok/kwok.yaml cannot leak into the test.
func (c *Cluster) kwokEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "PATH", "HOME", "FAKEROOT", "KUBECONFIG":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"PATH="+c.shimDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+filepath.Join(c.Dir, "kwok", "home"),
	)
}
