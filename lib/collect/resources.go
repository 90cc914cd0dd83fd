package collect

// resourceKind is one standard resource clusterResources writes, under the
// file name troubleshoot.sh uses for it (so its analyzers and sbctl find it).
type resourceKind struct {
	file       string
	group      string
	version    string
	resource   string
	namespaced bool
}

// standardResources is what a support engineer reads first. Secrets are left
// out on purpose: only the secret collector writes them, keys only by default.
// The CRDs come first: clusterResources lists each CRD's objects as soon as
// they are in.
var standardResources = []resourceKind{
	{"custom-resource-definitions", "apiextensions.k8s.io", "v1", "customresourcedefinitions", false},
	{"namespaces", "", "v1", "namespaces", false},
	{"nodes", "", "v1", "nodes", false},
	{"pvs", "", "v1", "persistentvolumes", false},
	{"pods", "", "v1", "pods", true},
	{"events", "", "v1", "events", true},
	{"services", "", "v1", "services", true},
	{"endpoints", "", "v1", "endpoints", true},
	{"configmaps", "", "v1", "configmaps", true},
	{"serviceaccounts", "", "v1", "serviceaccounts", true},
	{"pvcs", "", "v1", "persistentvolumeclaims", true},
	{"limitranges", "", "v1", "limitranges", true},
	{"resource-quota", "", "v1", "resourcequotas", true},
	{"deployments", "apps", "v1", "deployments", true},
	{"statefulsets", "apps", "v1", "statefulsets", true},
	{"daemonsets", "apps", "v1", "daemonsets", true},
	{"replicasets", "apps", "v1", "replicasets", true},
	{"jobs", "batch", "v1", "jobs", true},
	{"cronjobs", "batch", "v1", "cronjobs", true},
	{"horizontalpodautoscalers", "autoscaling", "v2", "horizontalpodautoscalers", true},
	{"ingress", "networking.k8s.io", "v1", "ingresses", true},
	{"network-policy", "networking.k8s.io", "v1", "networkpolicies", true},
	{"ingress-classes", "networking.k8s.io", "v1", "ingressclasses", false},
	{"endpointslices", "discovery.k8s.io", "v1", "endpointslices", true},
	{"pod-disruption-budgets", "policy", "v1", "poddisruptionbudgets", true},
	{"roles", "rbac.authorization.k8s.io", "v1", "roles", true},
	{"rolebindings", "rbac.authorization.k8s.io", "v1", "rolebindings", true},
	{"clusterroles", "rbac.authorization.k8s.io", "v1", "clusterroles", false},
	{"clusterrolebindings", "rbac.authorization.k8s.io", "v1", "clusterrolebindings", false},
	{"leases", "coordination.k8s.io", "v1", "leases", true},
	{"storage-classes", "storage.k8s.io", "v1", "storageclasses", false},
	{"volumeattachments", "storage.k8s.io", "v1", "volumeattachments", false},
	{"csidrivers", "storage.k8s.io", "v1", "csidrivers", false},
	{"csinodes", "storage.k8s.io", "v1", "csinodes", false},
	{"priorityclasses", "scheduling.k8s.io", "v1", "priorityclasses", false},
	{"runtimeclasses", "node.k8s.io", "v1", "runtimeclasses", false},
	{"mutating-webhook-configurations", "admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", false},
	{"validating-webhook-configurations", "admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", false},
	{"apiservices", "apiregistration.k8s.io", "v1", "apiservices", false},
	{"certificatesigningrequests", "certificates.k8s.io", "v1", "certificatesigningrequests", false},
}

// groupVersion is the API group/version string discovery uses.
func (r resourceKind) groupVersion() string {
	if r.group == "" {
		return r.version
	}
	return r.group + "/" + r.version
}

// path is the API path of the resource, cluster-wide or in one namespace.
func (r resourceKind) path(namespace string) string {
	base := "/apis/" + r.group + "/" + r.version
	if r.group == "" {
		base = "/api/" + r.version
	}
	if namespace != "" {
		return base + "/namespaces/" + namespace + "/" + r.resource
	}
	return base + "/" + r.resource
}
