package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// criSockets are where the container runtimes listen on the host, in the
// order they are tried when the kubelet's configuration names none:
// containerd, then CRI-O (/var/run is a link to /run on most hosts; the
// host's links are followed).
var criSockets = []string{"/run/containerd/containerd.sock", "/var/run/crio/crio.sock", "/run/crio/crio.sock"}

// maxCRIMessage is crictl's own limit for a gRPC answer: a node with
// hundreds of images answers ListImages with a few MiB.
const maxCRIMessage = 16 << 20

// Kubelet's labels and annotations on every CRI object, as crictl reads
// them.
const (
	labelPodName      = "io.kubernetes.pod.name"
	labelPodNamespace = "io.kubernetes.pod.namespace"
	annoRestartCount  = "io.kubernetes.container.restartCount"
)

// criSnapshot is what one connection to the runtime read: the three CRI
// items share it, so the runtime is asked once per run.
type criSnapshot struct {
	socket  string
	version *runtimeapi.VersionResponse
	pods    []*runtimeapi.PodSandbox
	ctrs    []*runtimeapi.Container
	status  map[string]*runtimeapi.ContainerStatus
	images  []*runtimeapi.Image
	// statusErrs are containers whose status could not be read (one
	// removed between list and status): noted, never fatal.
	statusErrs []string
}

// runtimeEndpoint matches the kubelet's setting of the CRI socket, in its
// configuration file or as a flag.
var runtimeEndpoint = regexp.MustCompile(`(?m)(?:containerRuntimeEndpoint:\s*|--container-runtime-endpoint[= ])["']?(?:unix://)?(/[^"'\s]+)`)

// criSocket finds the runtime's socket on the host: the one the kubelet
// is configured with, else the first known socket that exists.
func (c *collector) criSocket() (string, error) {
	candidates := slices.Clone(criSockets)
	for _, p := range []string{"/var/lib/kubelet/config.yaml", "/var/lib/kubelet/kubeadm-flags.env"} {
		if data, err := c.host.readFile(p, maxConfigBytes); err == nil {
			if m := runtimeEndpoint.FindSubmatch(data); m != nil {
				candidates = append([]string{string(m[1])}, candidates...)
				break
			}
		}
	}
	var errs []error
	for _, p := range candidates {
		fi, err := c.host.stat(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if fi.Mode().Type() != fs.ModeSocket {
			errs = append(errs, fmt.Errorf("%s exists but is not a socket (%s)", p, fi.Mode().Type()))
			continue
		}
		return p, nil
	}
	return "", fmt.Errorf("no container runtime (CRI) socket found on the host: %w", errors.Join(errs...))
}

// criRead connects to the runtime's socket once and reads pods,
// containers (with each one's status, for exit code and times) and
// images. It is memoised: the first CRI item pays for it.
func (c *collector) criRead(ctx context.Context) (*criSnapshot, error) {
	c.criOnce.Do(func() { c.cri, c.criErr = c.criFetch(ctx) })
	return c.cri, c.criErr
}

func (c *collector) criFetch(ctx context.Context) (*criSnapshot, error) {
	// Give up a little before the item's own timeout, so a runtime that
	// hangs gets an error naming its socket rather than a bare timeout.
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout*9/10)
		defer cancel()
	}
	sock, err := c.criSocket()
	if err != nil {
		return nil, err
	}
	rp, err := c.host.resolve(sock)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient("unix://"+rp,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxCRIMessage)))
	if err != nil {
		return nil, fmt.Errorf("CRI socket %s: %w", sock, err)
	}
	defer conn.Close()
	rt := runtimeapi.NewRuntimeServiceClient(conn)
	img := runtimeapi.NewImageServiceClient(conn)
	s := &criSnapshot{socket: sock, status: map[string]*runtimeapi.ContainerStatus{}}
	if s.version, err = rt.Version(ctx, &runtimeapi.VersionRequest{}); err != nil {
		return nil, fmt.Errorf("CRI socket %s: version: %w", sock, err)
	}
	pods, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return nil, fmt.Errorf("CRI socket %s: list pod sandboxes: %w", sock, err)
	}
	s.pods = pods.GetItems()
	ctrs, err := rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	if err != nil {
		return nil, fmt.Errorf("CRI socket %s: list containers: %w", sock, err)
	}
	s.ctrs = ctrs.GetContainers()
	for _, ct := range s.ctrs {
		st, err := rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: ct.GetId()})
		if err != nil {
			s.statusErrs = append(s.statusErrs, fmt.Sprintf("%s: %v", shortID(ct.GetId()), err))
			continue
		}
		s.status[ct.GetId()] = st.GetStatus()
	}
	images, err := img.ListImages(ctx, &runtimeapi.ListImagesRequest{})
	if err != nil {
		return nil, fmt.Errorf("CRI socket %s: list images: %w", sock, err)
	}
	s.images = images.GetImages()
	return s, nil
}

// header names the runtime answering, as `crictl version` would.
func (s *criSnapshot) header(what string) string {
	v := s.version
	return fmt.Sprintf("# %s from %s (%s %s, CRI %s)\n", what, s.socket, v.GetRuntimeName(), v.GetRuntimeVersion(), v.GetRuntimeApiVersion())
}

// shortID cuts an ID (with or without its sha256: prefix) to crictl's 13
// characters.
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 13 {
		return id[:13]
	}
	return id
}

// criTime formats a CRI timestamp (Unix nanoseconds; 0 when unset) as an
// absolute time: a bundle is read long after it was collected, so
// crictl's "2 hours ago" would mislead.
func criTime(ns int64) string {
	if ns <= 0 {
		return "-"
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339)
}

// stateName turns CONTAINER_RUNNING / SANDBOX_NOTREADY into crictl's
// Running / NotReady.
func stateName(s string) string {
	_, s, _ = strings.Cut(s, "_")
	switch s {
	case "NOTREADY":
		return "NotReady"
	case "":
		return "Unknown"
	}
	return s[:1] + strings.ToLower(s[1:])
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// collectContainersCRI is `crictl ps -a` with what a reader of a sick
// node needs beside it: restart count, exit code and reason, start and
// finish times.
func collectContainersCRI(ctx context.Context, c *collector) ([]byte, error) {
	s, err := c.criRead(ctx)
	if err != nil {
		return nil, err
	}
	podName := map[string][2]string{}
	for _, p := range s.pods {
		podName[p.GetId()] = [2]string{p.GetMetadata().GetName(), p.GetMetadata().GetNamespace()}
	}
	imageName := s.imageNames()
	ctrs := newestFirst(s.ctrs)
	var b strings.Builder
	s.table(&b, "containers (crictl ps -a)", "CONTAINER\tIMAGE\tCREATED\tSTATE\tNAME\tATTEMPT\tRESTARTS\tEXIT CODE\tREASON\tSTARTED\tFINISHED\tPOD ID\tPOD\tNAMESPACE",
		"containers", len(ctrs), func(tw io.Writer, i int) {
			ctrRow(tw, ctrs[i], s.status[ctrs[i].GetId()], podName, imageName)
		})
	for _, e := range s.statusErrs {
		fmt.Fprintf(&b, "# status of %s\n", e)
	}
	return []byte(redact(b.String())), nil
}

// ctrRow is a container's line of `crictl ps -a`; st is nil when the
// runtime did not give the container's status.
func ctrRow(tw io.Writer, ct *runtimeapi.Container, st *runtimeapi.ContainerStatus, podName map[string][2]string, imageName map[string]string) {
	pod := podName[ct.GetPodSandboxId()]
	if pod[0] == "" {
		pod = [2]string{ct.GetLabels()[labelPodName], ct.GetLabels()[labelPodNamespace]}
	}
	image := ct.GetImage().GetImage()
	if n, ok := imageName[ct.GetImageRef()]; ok {
		image = n
	} else if n, ok := imageName[image]; ok {
		image = n
	}
	restarts := orDash(ct.GetAnnotations()[annoRestartCount])
	exit, reason, started, finished := "-", "-", "-", "-"
	if st != nil {
		started, finished = criTime(st.GetStartedAt()), criTime(st.GetFinishedAt())
		reason = orDash(st.GetReason())
		if st.GetFinishedAt() > 0 {
			exit = strconv.Itoa(int(st.GetExitCode()))
		}
	}
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
		shortID(ct.GetId()), orDash(image), criTime(ct.GetCreatedAt()), stateName(ct.GetState().String()),
		ct.GetMetadata().GetName(), ct.GetMetadata().GetAttempt(), restarts, exit, reason, started, finished,
		shortID(ct.GetPodSandboxId()), orDash(pod[0]), orDash(pod[1]))
}

// collectPodsCRI is `crictl pods`.
func collectPodsCRI(ctx context.Context, c *collector) ([]byte, error) {
	s, err := c.criRead(ctx)
	if err != nil {
		return nil, err
	}
	pods := newestFirst(s.pods)
	var b strings.Builder
	s.table(&b, "pod sandboxes (crictl pods)", "POD ID\tCREATED\tSTATE\tNAME\tNAMESPACE\tATTEMPT\tRUNTIME",
		"pod sandboxes", len(pods), func(tw io.Writer, i int) {
			p := pods[i]
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n",
				shortID(p.GetId()), criTime(p.GetCreatedAt()), stateName(p.GetState().String()),
				p.GetMetadata().GetName(), p.GetMetadata().GetNamespace(), p.GetMetadata().GetAttempt(),
				orDash(p.GetRuntimeHandler()))
		})
	return []byte(redact(b.String())), nil
}

// newestFirst is a copy of items in the order crictl lists them, newest
// first; the snapshot's own slice, shared by the collectors, stays as is.
func newestFirst[T interface{ GetCreatedAt() int64 }](items []T) []T {
	out := slices.Clone(items)
	slices.SortStableFunc(out, func(a, b T) int { return -cmp.Compare(a.GetCreatedAt(), b.GetCreatedAt()) })
	return out
}

// table writes one crictl-style table to b: the snapshot's header line
// with title, the column names, row(tw, i) for each of n rows, aligned,
// and "# no <what>" when there are none.
func (s *criSnapshot) table(b *strings.Builder, title, columns, what string, n int, row func(tw io.Writer, i int)) {
	b.WriteString(s.header(title))
	tw := tabwriter.NewWriter(b, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, columns)
	for i := range n {
		row(tw, i)
	}
	tw.Flush()
	if n == 0 {
		fmt.Fprintf(b, "# no %s\n", what)
	}
}

// collectImagesCRI is `crictl images`: one line per tag, <none> for an
// untagged image.
func collectImagesCRI(ctx context.Context, c *collector) ([]byte, error) {
	s, err := c.criRead(ctx)
	if err != nil {
		return nil, err
	}
	type row struct{ repo, tag, id, size string }
	var rows []row
	for _, im := range s.images {
		size := humanSize(im.GetSize())
		tags := im.GetRepoTags()
		if len(tags) == 0 {
			repo := "<none>"
			if d := im.GetRepoDigests(); len(d) > 0 {
				repo, _, _ = strings.Cut(d[0], "@")
			}
			rows = append(rows, row{repo, "<none>", shortID(im.GetId()), size})
			continue
		}
		for _, t := range tags {
			repo, tag := splitTag(t)
			rows = append(rows, row{repo, tag, shortID(im.GetId()), size})
		}
	}
	slices.SortFunc(rows, func(a, b row) int {
		if r := strings.Compare(a.repo, b.repo); r != 0 {
			return r
		}
		return strings.Compare(a.tag, b.tag)
	})
	var b strings.Builder
	s.table(&b, "images (crictl images)", "IMAGE\tTAG\tIMAGE ID\tSIZE", "images", len(rows), func(tw io.Writer, i int) {
		r := rows[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.repo, r.tag, r.id, r.size)
	})
	return []byte(redact(b.String())), nil
}

// imageNames maps image IDs (and each tag) to the first tag, so a
// container started from an ID shows its name.
func (s *criSnapshot) imageNames() map[string]string {
	m := map[string]string{}
	for _, im := range s.images {
		if len(im.GetRepoTags()) == 0 {
			continue
		}
		m[im.GetId()] = im.GetRepoTags()[0]
		for _, d := range im.GetRepoDigests() {
			m[d] = im.GetRepoTags()[0]
		}
	}
	return m
}

// splitTag splits repo:tag, minding a registry's port (host:5000/x).
func splitTag(ref string) (string, string) {
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") {
		return ref, "<none>"
	}
	return ref[:i], ref[i+1:]
}

// humanSize prints bytes as crictl does (decimal units).
func humanSize(n uint64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%dB", n)
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}
