package builtin

import (
	"fmt"
	"path"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
)

// webhookRef is one admission webhook that calls an in-cluster service.
type webhookRef struct {
	config, kind, name string // configuration and webhook
	file               string
	failClosed         bool // failurePolicy Fail: requests are refused while it is down
	svc                admissionv1.ServiceReference
}

// webhooks finds admission webhooks whose service has no ready endpoint.
// With failurePolicy Fail (the default) the API server refuses every
// request the webhook matches: a failure; with Ignore a warning. Webhook
// configuration files are read under troubleshoot's names and ours.
func (r *run) webhooks() {
	var refs []webhookRef
	kinds := []struct {
		kind  string
		names []string
	}{
		{"MutatingWebhookConfiguration", []string{"mutating-webhook-configurations", "mutatingwebhookconfigurations"}},
		{"ValidatingWebhookConfiguration", []string{"validating-webhook-configurations", "validatingwebhookconfigurations"}},
	}
	for _, k := range kinds {
		for _, file := range resourceFiles(r.fsys, k.names...) {
			add := func(config, name string, cc admissionv1.WebhookClientConfig, fp *admissionv1.FailurePolicyType) {
				if cc.Service == nil {
					return // a URL webhook: nothing in the bundle says whether it answers
				}
				refs = append(refs, webhookRef{config: config, kind: k.kind, name: name, file: file,
					failClosed: fp == nil || *fp == admissionv1.Fail, svc: *cc.Service})
			}
			var err error
			if k.kind == "MutatingWebhookConfiguration" {
				err = decodeEach(r.fsys, file, func(_ listHead, c *admissionv1.MutatingWebhookConfiguration) {
					for _, w := range c.Webhooks {
						add(c.Name, w.Name, w.ClientConfig, w.FailurePolicy)
					}
				})
			} else {
				err = decodeEach(r.fsys, file, func(_ listHead, c *admissionv1.ValidatingWebhookConfiguration) {
					for _, w := range c.Webhooks {
						add(c.Name, w.Name, w.ClientConfig, w.FailurePolicy)
					}
				})
			}
			r.unreadable(file, err)
		}
	}
	if len(refs) == 0 {
		return
	}
	eps := r.readyEndpoints(refs)
	for _, w := range refs {
		key := w.svc.Namespace + "/" + w.svc.Name
		st, known := eps[key]
		if !known || st.ready > 0 {
			continue // no endpoint data for the namespace, or it has ready endpoints
		}
		sev, effect := analyze.SeverityFail, "failurePolicy Fail: the API server refuses the requests it matches"
		if !w.failClosed {
			sev, effect = analyze.SeverityWarn, "failurePolicy Ignore: the requests it matches pass unchecked"
		}
		what := "has no ready endpoint"
		if st.seen == 0 {
			what = "has no endpoints"
		}
		r.add(analyze.Finding{
			Analyzer: IDWebhookNoEndpoints, Severity: sev,
			Title:   fmt.Sprintf("Webhook %s: service %s %s", w.name, key, what),
			Message: fmt.Sprintf("%s %s calls service %s, which %s (read from %s); %s", w.kind, w.config, key, what, st.file, effect),
			Object:  object(w.kind, "", w.config), File: w.file,
		})
	}
}

// endpointState is what the bundle says of one service's endpoints.
type endpointState struct {
	seen, ready int
	file        string
}

// readyEndpoints counts, for each service the webhooks call, its
// endpoints and the ready ones, from EndpointSlices and else Endpoints.
// Only the namespaces of those services are read. A service appears in
// the result only when its namespace's endpoints were collected.
func (r *run) readyEndpoints(refs []webhookRef) map[string]endpointState {
	want := map[string]bool{}
	nss := map[string]bool{}
	for _, w := range refs {
		want[w.svc.Namespace+"/"+w.svc.Name] = true
		nss[w.svc.Namespace] = true
	}
	out := map[string]endpointState{}
	for ns := range nss {
		sliceFile := path.Join("cluster-resources", "endpointslices", ns+".json")
		err := decodeEach(r.fsys, sliceFile, func(_ listHead, s *discoveryv1.EndpointSlice) {
			key := ns + "/" + s.Labels[discoveryv1.LabelServiceName]
			if !want[key] {
				return
			}
			st := out[key]
			st.file = sliceFile
			for _, e := range s.Endpoints {
				st.seen++
				if e.Conditions.Ready == nil || *e.Conditions.Ready {
					st.ready++
				}
			}
			out[key] = st
		})
		if err == nil {
			for key := range want { // collected, and no slice for it: no endpoints
				if _, ok := out[key]; !ok && path.Dir(key) == ns {
					out[key] = endpointState{file: sliceFile}
				}
			}
			continue
		}
		r.unreadable(sliceFile, err)
		epFile := path.Join("cluster-resources", "endpoints", ns+".json")
		err = decodeEach(r.fsys, epFile, func(_ listHead, e *corev1.Endpoints) {
			key := ns + "/" + e.Name
			if !want[key] {
				return
			}
			st := endpointState{file: epFile}
			for _, s := range e.Subsets {
				st.ready += len(s.Addresses)
				st.seen += len(s.Addresses) + len(s.NotReadyAddresses)
			}
			out[key] = st
		})
		if err == nil {
			for key := range want {
				if _, ok := out[key]; !ok && path.Dir(key) == ns {
					out[key] = endpointState{file: epFile}
				}
			}
		}
		r.unreadable(epFile, err)
	}
	return out
}
