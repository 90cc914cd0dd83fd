package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/jsonscan"
)

// pageSize is the LIST page size: large enough that a big cluster needs few
// round trips, small enough that one page never dominates memory.
const pageSize = 500

// listHead is the part of a list response kept besides its items.
type listHead struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Metadata   struct {
		ResourceVersion string `json:"resourceVersion,omitempty"`
		Continue        string `json:"continue,omitempty"`
	} `json:"metadata"`
}

// listRaw does one paginated LIST of an API path (for example /api/v1/pods,
// /apis/apps/v1/namespaces/x/deployments) and hands each item, as the server
// encoded it, to fn. Items are never decoded into objects: collectors that
// only write them out stay cheap in CPU and memory. Each page is split as
// it is read (listStream), never held whole. fn must not keep item.
func listRaw(ctx context.Context, rc rest.Interface, apiPath string, params map[string]string, fn func(head listHead, item json.RawMessage) error) (listHead, error) {
	var head listHead
	var ls listStream
	cont := ""
	for {
		// JSON both ways: items are written out as JSON, and a JSON Status
		// body gives errors their real message ("pods is forbidden: …").
		req := rc.Get().AbsPath(apiPath).SetHeader("Accept", "application/json").Param("limit", strconv.Itoa(pageSize))
		for k, v := range params {
			req = req.Param(k, v)
		}
		if cont != "" {
			req = req.Param("continue", cont)
		}
		// Items go to fn with the first page's head: a later page's items
		// need not wait for its own (see listStream).
		var known *listHead
		if head.Kind != "" {
			known = &head
		}
		page, err := listPage(ctx, req, &ls, known, func(page listHead, item json.RawMessage) error {
			if head.Kind == "" {
				head = page
			}
			return fn(head, item)
		})
		if errors.Is(err, errBadList) {
			return head, fmt.Errorf("decode list %s: %w", apiPath, err)
		}
		if errors.Is(err, errReadList) {
			return head, fmt.Errorf("list %s: %w", apiPath, err)
		}
		if err != nil {
			return head, err
		}
		if head.Kind == "" {
			head = page
		}
		cont = page.Metadata.Continue
		if cont == "" {
			return head, nil
		}
	}
}

// errBadList marks a response that is not a JSON list.
var errBadList = errors.New("not a JSON list")

// listPage sends one LIST request and splits its response with ls. Request
// errors are the API's (apierrors tells a denial from an outage), and
// fn's errors come back as they are.
func listPage(ctx context.Context, req *rest.Request, ls *listStream, known *listHead, fn func(page listHead, item json.RawMessage) error) (listHead, error) {
	// Unlike DoRaw, Stream decodes an error response's Status with the
	// client's JSON decoder, so its message ("pods is forbidden: …")
	// survives.
	body, err := req.Stream(ctx)
	if err != nil {
		return listHead{}, err
	}
	defer body.Close()
	return ls.split(body, known, fn)
}

// restClient is the client raw requests go through. The core client is
// used for every group because it decodes the API's Status errors, so that
// callers can tell a denial (apierrors.IsForbidden) from an outage.
func (e *Env) restClient() rest.Interface { return e.Client.CoreV1().RESTClient() }

// listAcross lists r in namespace, or in all namespaces when it is empty.
// When a cluster-wide LIST is forbidden — a user limited to some namespaces —
// it lists each of the fallback namespaces instead. Every failure is
// returned (the denial included) so the caller can record it next to the
// data; fn sees the items of every list that succeeded.
func listAcross(ctx context.Context, env *Env, r resourceKind, namespace string, fallback []string, params map[string]string, fn func(head listHead, item json.RawMessage) error) []error {
	return listAcrossInto(ctx, env, r, namespace, fallback, params, fn).errs
}

// listing is what listAcrossInto did: the namespaces whose LIST succeeded
// ("" for the cluster-wide one), the head of the last one, and the errors.
type listing struct {
	listed []string
	head   listHead
	errs   []error
}

// listAcrossInto is listAcross, telling also which lists succeeded.
func listAcrossInto(ctx context.Context, env *Env, r resourceKind, namespace string, fallback []string, params map[string]string, fn func(head listHead, item json.RawMessage) error) listing {
	var l listing
	head, err := listRaw(ctx, env.restClient(), r.path(namespace), params, fn)
	if err == nil {
		return listing{listed: []string{namespace}, head: head}
	}
	l.errs = []error{err}
	if namespace != "" || !apierrors.IsForbidden(err) {
		return l
	}
	for _, ns := range fallback {
		head, err := listRaw(ctx, env.restClient(), r.path(ns), params, fn)
		if err != nil {
			l.errs = append(l.errs, err)
			continue
		}
		l.listed, l.head = append(l.listed, ns), head
	}
	return l
}

// fallbackNamespaces is where namespaced lists go when a cluster-wide one is
// denied: the namespaces a spec names, else the kubeconfig context's.
func (e *Env) fallbackNamespaces(specNamespaces []string) []string {
	if len(specNamespaces) > 0 {
		return specNamespaces
	}
	if e.Options.Namespace != "" {
		return []string{e.Options.Namespace}
	}
	return []string{"default"}
}

// listWriter streams one list file: the list's kind and apiVersion, then
// its items indented as kubectl and troubleshoot.sh write them.
type listWriter struct {
	kind  string // of the items, for the structure pass
	w     io.WriteCloser
	buf   bytes.Buffer
	count int
	// typeMeta is put after the opening brace of each item that lacks its
	// kind and apiVersion (see itemTypeMeta); nil when the list's kind does
	// not name its items'.
	typeMeta []byte
}

// objectRedactor is a bundle file's redacting writer: it masks what the
// line rules cannot see in an object (a Secret's data, encoded payloads,
// the object in last-applied-configuration), one item at a time.
type objectRedactor interface {
	Object(kind string, obj []byte) []byte
}

func newListWriter(w io.WriteCloser, head listHead) (*listWriter, error) {
	lw := &listWriter{w: w, typeMeta: itemTypeMeta(head)}
	hdr := fmt.Sprintf("{\n  \"kind\": %q,\n  \"apiVersion\": %q,\n  \"metadata\": {\n    \"resourceVersion\": %q\n  },\n  \"items\": [",
		head.Kind, head.APIVersion, head.Metadata.ResourceVersion)
	if _, err := io.WriteString(w, hdr); err != nil {
		return nil, err
	}
	lw.kind = strings.TrimSuffix(head.Kind, "List")
	return lw, nil
}

func (lw *listWriter) add(item json.RawMessage) error {
	if r, ok := lw.w.(objectRedactor); ok {
		item = r.Object(lw.kind, item)
	}
	lw.buf.Reset()
	if lw.count > 0 {
		lw.buf.WriteByte(',')
	}
	lw.buf.WriteString("\n    ")
	// The kind and apiVersion go right after the item's opening brace. The
	// item is indented after a gap as long as them, then the brace moves
	// to the gap's start and they fill the rest: no copy of the item.
	start, gap := lw.buf.Len(), 0
	if lw.typeMeta != nil && needsTypeMeta(item) {
		gap = len(lw.typeMeta)
		lw.buf.Write(lw.typeMeta) // placeholder of the right length
	}
	if err := json.Indent(&lw.buf, item, "    ", "  "); err != nil {
		return fmt.Errorf("indent item: %w", err)
	}
	if gap > 0 {
		b := lw.buf.Bytes()
		b[start] = '{'
		copy(b[start+1:start+1+gap], lw.typeMeta)
	}
	lw.count++
	_, err := lw.w.Write(lw.buf.Bytes())
	return err
}

// itemTypeMeta is the kind and apiVersion of a list's items, indented as
// the first members of an item in a list file. The API server leaves them
// out of the items of a built-in list; troubleshoot.sh writes them (its
// items are typed objects it sets the GroupVersionKind of), and readers
// that take one item out of a list, as sbctl does for `kubectl get pod X`,
// need them to decode it.
func itemTypeMeta(head listHead) []byte {
	kind, ok := strings.CutSuffix(head.Kind, "List")
	if !ok || kind == "" || head.APIVersion == "" {
		return nil
	}
	return fmt.Appendf(nil, "\n      \"kind\": %q,\n      \"apiVersion\": %q,", kind, head.APIVersion)
}

// needsTypeMeta reports whether an item as the server sent it lacks kind and
// apiVersion. Only its first member is looked at: a built-in item starts
// with its metadata, a custom resource (encoded from a map, keys sorted)
// with its apiVersion, and an empty object gets nothing.
func needsTypeMeta(item []byte) bool {
	i := jsonscan.SkipSpace(item, 0)
	if i >= len(item) || item[i] != '{' {
		return false
	}
	i = jsonscan.SkipSpace(item, i+1)
	rest := item[i:]
	return !bytes.HasPrefix(rest, []byte("}")) && !bytes.HasPrefix(rest, []byte(`"kind"`)) && !bytes.HasPrefix(rest, []byte(`"apiVersion"`))
}

func (lw *listWriter) close() error {
	tail := "\n  ]\n}\n"
	if lw.count == 0 {
		tail = "]\n}\n"
	}
	if _, err := io.WriteString(lw.w, tail); err != nil {
		lw.w.Close()
		return err
	}
	return lw.w.Close()
}
