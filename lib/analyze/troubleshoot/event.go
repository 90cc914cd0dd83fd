package troubleshoot

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// event: whether an event of a reason (and kind, and message pattern)
// exists in a namespace's events.

func init() {
	register("event", func(b *bundle, s any) ([]*Result, error) {
		return event(b, s.(*spec.EventAnalyze))
	})
}

func event(b *bundle, a *spec.EventAnalyze) ([]*Result, error) {
	if a.Reason == "" {
		return nil, errors.New("reason is required")
	}
	title := a.CheckName
	if title == "" {
		title = a.CollectorName
	}
	if title == "" {
		title = "Event"
	}
	ns := a.Namespace
	if ns == "" {
		ns = corev1.NamespaceDefault
	}
	data, err := b.read(path.Join("cluster-resources/events", ns+".json"))
	if err != nil {
		return nil, fmt.Errorf("failed to read collected events for namespace: %s: %w", ns, err)
	}
	var list corev1.EventList
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("failed to read collected events: failed to convert []byte to corev1.EventList: %w", err)
	}
	var found *corev1.Event
	var re *regexp.Regexp
	if a.RegexPattern != "" {
		// A pattern that does not compile matches no event, as in
		// troubleshoot.
		re, err = regexp.Compile(a.RegexPattern)
	}
	if err == nil {
		for i := range list.Items {
			e := &list.Items[i]
			if !strings.EqualFold(e.Reason, a.Reason) {
				continue
			}
			if a.Kind != "" && !strings.EqualFold(e.InvolvedObject.Kind, a.Kind) {
				continue
			}
			if re == nil || re.MatchString(e.Message) {
				found = e
				break
			}
		}
	}
	r := &Result{Title: title, IconKey: "kubernetes_event", IconURI: "https://troubleshoot.sh/images/analyzer-icons/kubernetes.svg?w=16&h=16"}
	// Unlike other analyzers, one outcome may hold fail, warn and pass at
	// once; each is tried in that order and the first whose when equals
	// "an event was found" wins.
outcomes:
	for _, o := range a.Outcomes {
		for _, so := range []struct {
			o   *spec.SingleOutcome
			set func()
		}{{o.Fail, func() { r.IsFail = true }}, {o.Warn, func() { r.IsWarn = true }}, {o.Pass, func() { r.IsPass = true }}} {
			if so.o == nil {
				continue
			}
			w, err := strconv.ParseBool(so.o.When)
			if err != nil {
				return nil, fmt.Errorf("failed to parse when condition: %s: %w", so.o.When, err)
			}
			if w == (found != nil) {
				so.set()
				r.Message, r.URI = eventMessage(so.o.Message, found), so.o.URI
				break outcomes
			}
		}
	}
	return []*Result{r}, nil
}

func eventMessage(msg string, e *corev1.Event) string {
	if e == nil {
		return msg
	}
	out, err := render(msg, e)
	if err != nil {
		return fmt.Sprintf("Event matched. Reason: %s Name: %s Message: %s", e.Reason, e.InvolvedObject.Name, e.Message)
	}
	return strings.TrimSpace(out)
}
