package liststream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
)

// PageSize is the LIST page size: large enough that a big cluster needs few
// round trips, small enough that one page never dominates memory.
const PageSize = 500

// Head is the part of a list response kept besides its items.
type Head struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Metadata   struct {
		ResourceVersion string `json:"resourceVersion,omitempty"`
		Continue        string `json:"continue,omitempty"`
	} `json:"metadata"`
}

// List does one paginated LIST of an API path (for example /api/v1/pods,
// /apis/apps/v1/namespaces/x/deployments) and hands each item, as the server
// encoded it, to fn. Items are never decoded into objects: collectors that
// only write them out stay cheap in CPU and memory. Each page is split as
// it is read (Stream), never held whole. fn must not keep item.
func List(ctx context.Context, rc rest.Interface, apiPath string, params map[string]string, fn func(head Head, item json.RawMessage) error) (Head, error) {
	var head Head
	var ls Stream
	cont := ""
	for {
		// JSON both ways: items are written out as JSON, and a JSON Status
		// body gives errors their real message ("pods is forbidden: …").
		req := rc.Get().AbsPath(apiPath).SetHeader("Accept", "application/json").Param("limit", strconv.Itoa(PageSize))
		for k, v := range params {
			req = req.Param(k, v)
		}
		if cont != "" {
			req = req.Param("continue", cont)
		}
		// Items go to fn with the first page's head: a later page's items
		// need not wait for its own (see Stream).
		var known *Head
		if head.Kind != "" {
			known = &head
		}
		page, err := listPage(ctx, req, &ls, known, func(page Head, item json.RawMessage) error {
			if head.Kind == "" {
				head = page
			}
			return fn(head, item)
		})
		if errors.Is(err, ErrBadList) {
			return head, fmt.Errorf("decode list %s: %w", apiPath, err)
		}
		if errors.Is(err, ErrRead) {
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

// ErrBadList marks a response that is not a JSON list.
var ErrBadList = errors.New("not a JSON list")

// listPage sends one LIST request and splits its response with ls. Request
// errors are the API's (apierrors tells a denial from an outage), and
// fn's errors come back as they are.
func listPage(ctx context.Context, req *rest.Request, ls *Stream, known *Head, fn func(page Head, item json.RawMessage) error) (Head, error) {
	// Unlike DoRaw, Stream decodes an error response's Status with the
	// client's JSON decoder, so its message ("pods is forbidden: …")
	// survives.
	body, err := req.Stream(ctx)
	if err != nil {
		return Head{}, err
	}
	defer body.Close()
	return ls.Split(body, known, fn)
}

// Listing is what Across did: the namespaces whose LIST succeeded ("" for
// the cluster-wide one), the head of the last one, and the errors.
type Listing struct {
	Listed []string
	Head   Head
	Errs   []error
}

// Across lists a resource in namespace, or in all namespaces when it is
// empty; pathOf gives the resource's API path in a namespace ("" for all).
// When a cluster-wide LIST is forbidden — a user limited to some
// namespaces — it lists each of the fallback namespaces instead. Every
// failure is returned (the denial included) so the caller can record it
// next to the data; fn sees the items of every list that succeeded.
func Across(ctx context.Context, rc rest.Interface, pathOf func(namespace string) string, namespace string, fallback []string, params map[string]string, fn func(head Head, item json.RawMessage) error) Listing {
	var l Listing
	head, err := List(ctx, rc, pathOf(namespace), params, fn)
	if err == nil {
		return Listing{Listed: []string{namespace}, Head: head}
	}
	l.Errs = []error{err}
	if namespace != "" || !apierrors.IsForbidden(err) {
		return l
	}
	for _, ns := range fallback {
		head, err := List(ctx, rc, pathOf(ns), params, fn)
		if err != nil {
			l.Errs = append(l.Errs, err)
			continue
		}
		l.Listed, l.Head = append(l.Listed, ns), head
	}
	return l
}
