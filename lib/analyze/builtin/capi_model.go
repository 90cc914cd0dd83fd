package builtin

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kcpv1beta1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta1"
	kcpv1beta2 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	capiv1beta1 "sigs.k8s.io/cluster-api/api/core/v1beta1"
	capiv1beta2 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// The custom resources, as plural.group, the Cluster API analyzers read.
const (
	crdClusters            = "clusters.cluster.x-k8s.io"
	crdMachines            = "machines.cluster.x-k8s.io"
	crdMachineDeployments  = "machinedeployments.cluster.x-k8s.io"
	crdMachinePools        = "machinepools.cluster.x-k8s.io"
	crdMachineHealthChecks = "machinehealthchecks.cluster.x-k8s.io"
	crdKubeadmControlPlane = "kubeadmcontrolplanes.controlplane.cluster.x-k8s.io"
	groupInfrastructure    = ".infrastructure.cluster.x-k8s.io"
	groupControlPlane      = ".controlplane.cluster.x-k8s.io"
)

// Labels Cluster API sets on its objects.
const (
	labelClusterName  = capiv1beta2.ClusterNameLabel
	labelControlPlane = capiv1beta2.MachineControlPlaneLabel
	labelDeployment   = capiv1beta2.MachineDeploymentNameLabel
	labelPool         = "cluster.x-k8s.io/pool-name"
)

// Condition is a Cluster API condition of either API version: v1beta2's
// metav1.Condition, or v1beta1's with its Severity.
type Condition struct {
	Type, Status, Reason, Message string
	// Severity is v1beta1's Error, Warning or Info; empty in v1beta2.
	Severity string
	Since    time.Time
}

// Object is a Cluster API object (a Cluster, Machine, control plane,
// MachineDeployment, MachinePool, MachineHealthCheck or infrastructure
// object) as the analyzers see it, whichever its API version: decoded with
// Cluster API's own types, then reduced to what the findings need.
type Object struct {
	Kind, Namespace, Name string
	// APIVersion is the object's group/version ("cluster.x-k8s.io/v1beta1").
	APIVersion string
	// File is the bundle file the object was read from.
	File     string
	Labels   map[string]string
	Created  time.Time
	Deleting *time.Time
	Phase    string
	// Conditions are the v1beta2 conditions when the object has them
	// (a v1beta2 object, or a v1beta1 one's status.v1beta2), else the
	// v1beta1 ones; V1Beta1Conditions tells which.
	Conditions        []Condition
	V1Beta1Conditions bool
	// Failure is v1beta1's failureReason and failureMessage.
	Failure string
	// ClusterName is the Cluster the object belongs to.
	ClusterName string

	// Replicas: spec.replicas and the available (else ready) count, for
	// control planes, MachineDeployments and MachinePools.
	DesiredReplicas, AvailableReplicas *int32

	// Cluster: its control plane and infrastructure, and whether the
	// control plane was initialized (the API server answered once).
	ControlPlaneRef, InfrastructureRef Ref
	ControlPlaneInitialized            bool
	// Paused is a Cluster's spec.paused: clusterctl move pauses Clusters
	// before it moves them.
	Paused bool

	// Machine: the node it became (status.nodeRef), empty until then.
	NodeName string
	// Machine: its infrastructure machine.
	MachineInfraRef Ref

	// MachineHealthCheck counts.
	ExpectedMachines, CurrentHealthy, RemediationsAllowed *int32
}

// Ref names another object by kind and name (same namespace).
type Ref struct{ Kind, Name string }

// ID is "Kind namespace/name", as in a finding's Object.
func (o *Object) ID() string { return object(o.Kind, o.Namespace, o.Name) }

// Condition returns the condition of that type, or nil.
func (o *Object) Condition(t string) *Condition {
	for i := range o.Conditions {
		if o.Conditions[i].Type == t {
			return &o.Conditions[i]
		}
	}
	return nil
}

// ClusterAPI is every Cluster API object of one bundle.
type ClusterAPI struct {
	Clusters, ControlPlanes, Infrastructure []*Object
	MachineDeployments, MachinePools        []*Object
	Machines, MachineHealthChecks           []*Object
}

// ReadClusterAPI reads the Cluster API objects of a bundle, of API
// versions v1beta1 and v1beta2, streaming each list. Files that cannot be
// read are returned as errors beside what could be read.
func ReadClusterAPI(fsys fs.FS) (*ClusterAPI, []FileError) {
	c := &ClusterAPI{}
	var errs []FileError
	read := func(crd string, into *[]*Object, decode func(version string, raw []byte) (*Object, error)) {
		for _, file := range customResourceFiles(fsys, crd) {
			err := eachItem(fsys, file, func(head listHead, dec *json.Decoder) error {
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return err
				}
				var tm metav1.TypeMeta
				if err := json.Unmarshal(raw, &tm); err != nil {
					return err
				}
				apiVersion := cmpOr(tm.APIVersion, head.APIVersion)
				kind := cmpOr(tm.Kind, head.itemKind())
				version := apiVersion[strings.LastIndexByte(apiVersion, '/')+1:]
				o, err := decode(version, raw)
				if err != nil {
					return fmt.Errorf("%s %s: %w", kind, apiVersion, err)
				}
				o.APIVersion, o.File = apiVersion, file
				if o.Kind == "" {
					o.Kind = kind
				}
				if o.ClusterName == "" {
					o.ClusterName = o.Labels[labelClusterName]
				}
				*into = append(*into, o)
				return nil
			})
			if err != nil {
				errs = append(errs, FileError{File: file, Err: err})
			}
		}
	}
	read(crdClusters, &c.Clusters, decodeCluster)
	read(crdKubeadmControlPlane, &c.ControlPlanes, decodeKCP)
	for _, crd := range customResourceDirs(fsys, groupControlPlane) {
		if crd != crdKubeadmControlPlane && !strings.Contains(crd, "template") {
			read(crd, &c.ControlPlanes, decodeGeneric)
		}
	}
	for _, crd := range customResourceDirs(fsys, groupInfrastructure) {
		if !strings.Contains(crd, "template") {
			read(crd, &c.Infrastructure, decodeGeneric)
		}
	}
	read(crdMachineDeployments, &c.MachineDeployments, decodeMachineDeployment)
	read(crdMachinePools, &c.MachinePools, decodeMachinePool)
	read(crdMachines, &c.Machines, decodeMachine)
	read(crdMachineHealthChecks, &c.MachineHealthChecks, decodeMHC)
	return c, errs
}

// FileError is a bundle file that could not be read.
type FileError struct {
	File string
	Err  error
}

func (e FileError) Error() string { return e.File + ": " + e.Err.Error() }

// isV1beta1 tells the older API version; anything else decodes as v1beta2.
func isV1beta1(version string) bool { return version == "v1beta1" }

// meta fills the common fields from an object's metadata.
func meta(m metav1.ObjectMeta, kind string) *Object {
	o := &Object{Kind: kind, Namespace: m.Namespace, Name: m.Name, Labels: m.Labels, Created: m.CreationTimestamp.Time}
	if m.DeletionTimestamp != nil {
		t := m.DeletionTimestamp.Time
		o.Deleting = &t
	}
	return o
}

// setConditions keeps the v1beta2 conditions when there are any, else the
// v1beta1 ones.
func (o *Object) setConditions(v1beta2 []metav1.Condition, v1beta1 capiv1beta1.Conditions) {
	for _, c := range v1beta2 {
		o.Conditions = append(o.Conditions, Condition{Type: c.Type, Status: string(c.Status), Reason: c.Reason, Message: c.Message, Since: c.LastTransitionTime.Time})
	}
	if len(o.Conditions) > 0 {
		return
	}
	o.V1Beta1Conditions = len(v1beta1) > 0
	for _, c := range v1beta1 {
		o.Conditions = append(o.Conditions, Condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message, Severity: string(c.Severity), Since: c.LastTransitionTime.Time})
	}
}

func (o *Object) setFailure(reason fmt.Stringer, message *string) {
	var parts []string
	if reason != nil && reason.String() != "" {
		parts = append(parts, reason.String())
	}
	if message != nil && *message != "" {
		parts = append(parts, *message)
	}
	o.Failure = strings.Join(parts, ": ")
}

// str makes a string-typed failure reason a fmt.Stringer (nil when unset).
type str string

func (s str) String() string { return string(s) }

func strPtr[T ~string](p *T) fmt.Stringer {
	if p == nil {
		return nil
	}
	return str(*p)
}

func decodeCluster(version string, raw []byte) (*Object, error) {
	if isV1beta1(version) {
		var c capiv1beta1.Cluster
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		o := meta(c.ObjectMeta, "Cluster")
		o.Phase = c.Status.Phase
		var v2 []metav1.Condition
		if c.Status.V1Beta2 != nil {
			v2 = c.Status.V1Beta2.Conditions
		}
		o.setConditions(v2, c.Status.Conditions)
		o.setFailure(strPtr(c.Status.FailureReason), c.Status.FailureMessage)
		o.ClusterName = c.Name
		if r := c.Spec.ControlPlaneRef; r != nil {
			o.ControlPlaneRef = Ref{r.Kind, r.Name}
		}
		if r := c.Spec.InfrastructureRef; r != nil {
			o.InfrastructureRef = Ref{r.Kind, r.Name}
		}
		o.ControlPlaneInitialized = c.Status.ControlPlaneReady || conditionTrue(o, "ControlPlaneInitialized")
		o.Paused = c.Spec.Paused
		return o, nil
	}
	var c capiv1beta2.Cluster
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	o := meta(c.ObjectMeta, "Cluster")
	o.Phase = c.Status.Phase
	var v1 capiv1beta1.Conditions
	if d := c.Status.Deprecated; d != nil && d.V1Beta1 != nil {
		v1 = toV1beta1(d.V1Beta1.Conditions)
		o.setFailure(strPtr(d.V1Beta1.FailureReason), d.V1Beta1.FailureMessage)
	}
	o.setConditions(c.Status.Conditions, v1)
	o.ClusterName = c.Name
	o.ControlPlaneRef = Ref{c.Spec.ControlPlaneRef.Kind, c.Spec.ControlPlaneRef.Name}
	o.InfrastructureRef = Ref{c.Spec.InfrastructureRef.Kind, c.Spec.InfrastructureRef.Name}
	o.Paused = c.Spec.Paused != nil && *c.Spec.Paused
	o.ControlPlaneInitialized = (c.Status.Initialization.ControlPlaneInitialized != nil && *c.Status.Initialization.ControlPlaneInitialized) ||
		conditionTrue(o, "ControlPlaneInitialized")
	return o, nil
}

// toV1beta1 converts v1beta2's copy of the old conditions (the same
// fields) to the v1beta1 type.
func toV1beta1(cs capiv1beta2.Conditions) capiv1beta1.Conditions {
	out := make(capiv1beta1.Conditions, 0, len(cs))
	for _, c := range cs {
		out = append(out, capiv1beta1.Condition{Type: capiv1beta1.ConditionType(c.Type), Status: c.Status, Severity: capiv1beta1.ConditionSeverity(c.Severity),
			LastTransitionTime: c.LastTransitionTime, Reason: c.Reason, Message: c.Message})
	}
	return out
}

func conditionTrue(o *Object, t string) bool {
	c := o.Condition(t)
	return c != nil && c.Status == "True"
}

func decodeKCP(version string, raw []byte) (*Object, error) {
	if isV1beta1(version) {
		var k kcpv1beta1.KubeadmControlPlane
		if err := json.Unmarshal(raw, &k); err != nil {
			return nil, err
		}
		o := meta(k.ObjectMeta, "KubeadmControlPlane")
		var v2 []metav1.Condition
		avail := k.Status.ReadyReplicas
		o.AvailableReplicas = &avail
		if s := k.Status.V1Beta2; s != nil {
			v2 = s.Conditions
			if s.AvailableReplicas != nil {
				o.AvailableReplicas = s.AvailableReplicas
			}
		}
		o.setConditions(v2, k.Status.Conditions)
		o.setFailure(str(k.Status.FailureReason), k.Status.FailureMessage)
		o.DesiredReplicas = k.Spec.Replicas
		return o, nil
	}
	var k kcpv1beta2.KubeadmControlPlane
	if err := json.Unmarshal(raw, &k); err != nil {
		return nil, err
	}
	o := meta(k.ObjectMeta, "KubeadmControlPlane")
	var v1 capiv1beta1.Conditions
	if d := k.Status.Deprecated; d != nil && d.V1Beta1 != nil {
		v1 = toV1beta1(d.V1Beta1.Conditions)
		o.setFailure(str(d.V1Beta1.FailureReason), d.V1Beta1.FailureMessage)
	}
	o.setConditions(k.Status.Conditions, v1)
	o.DesiredReplicas = k.Spec.Replicas
	o.AvailableReplicas = cmpOrPtr(k.Status.AvailableReplicas, k.Status.ReadyReplicas)
	return o, nil
}

func decodeMachineDeployment(version string, raw []byte) (*Object, error) {
	if isV1beta1(version) {
		var d capiv1beta1.MachineDeployment
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, err
		}
		o := meta(d.ObjectMeta, "MachineDeployment")
		o.Phase, o.ClusterName, o.DesiredReplicas = d.Status.Phase, d.Spec.ClusterName, d.Spec.Replicas
		avail := d.Status.AvailableReplicas
		o.AvailableReplicas = &avail
		var v2 []metav1.Condition
		if s := d.Status.V1Beta2; s != nil {
			v2 = s.Conditions
		}
		o.setConditions(v2, d.Status.Conditions)
		return o, nil
	}
	var d capiv1beta2.MachineDeployment
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, err
	}
	o := meta(d.ObjectMeta, "MachineDeployment")
	o.Phase, o.ClusterName, o.DesiredReplicas = d.Status.Phase, d.Spec.ClusterName, d.Spec.Replicas
	o.AvailableReplicas = cmpOrPtr(d.Status.AvailableReplicas, d.Status.ReadyReplicas)
	var v1 capiv1beta1.Conditions
	if dep := d.Status.Deprecated; dep != nil && dep.V1Beta1 != nil {
		v1 = toV1beta1(dep.V1Beta1.Conditions)
	}
	o.setConditions(d.Status.Conditions, v1)
	return o, nil
}

func decodeMachinePool(version string, raw []byte) (*Object, error) {
	if isV1beta1(version) {
		var p capiv1beta1.MachinePool
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, err
		}
		o := meta(p.ObjectMeta, "MachinePool")
		o.Phase, o.ClusterName, o.DesiredReplicas = p.Status.Phase, p.Spec.ClusterName, p.Spec.Replicas
		avail := p.Status.AvailableReplicas
		o.AvailableReplicas = &avail
		var v2 []metav1.Condition
		if s := p.Status.V1Beta2; s != nil {
			v2 = s.Conditions
		}
		o.setConditions(v2, p.Status.Conditions)
		o.setFailure(strPtr(p.Status.FailureReason), p.Status.FailureMessage)
		return o, nil
	}
	var p capiv1beta2.MachinePool
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, err
	}
	o := meta(p.ObjectMeta, "MachinePool")
	o.Phase, o.ClusterName, o.DesiredReplicas = p.Status.Phase, p.Spec.ClusterName, p.Spec.Replicas
	o.AvailableReplicas = cmpOrPtr(p.Status.AvailableReplicas, p.Status.ReadyReplicas)
	var v1 capiv1beta1.Conditions
	if dep := p.Status.Deprecated; dep != nil && dep.V1Beta1 != nil {
		v1 = toV1beta1(dep.V1Beta1.Conditions)
		o.setFailure(strPtr(dep.V1Beta1.FailureReason), dep.V1Beta1.FailureMessage)
	}
	o.setConditions(p.Status.Conditions, v1)
	return o, nil
}

func decodeMachine(version string, raw []byte) (*Object, error) {
	if isV1beta1(version) {
		var m capiv1beta1.Machine
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, err
		}
		o := meta(m.ObjectMeta, "Machine")
		o.Phase, o.ClusterName = m.Status.Phase, m.Spec.ClusterName
		if m.Status.NodeRef != nil {
			o.NodeName = m.Status.NodeRef.Name
		}
		o.MachineInfraRef = Ref{m.Spec.InfrastructureRef.Kind, m.Spec.InfrastructureRef.Name}
		var v2 []metav1.Condition
		if s := m.Status.V1Beta2; s != nil {
			v2 = s.Conditions
		}
		o.setConditions(v2, m.Status.Conditions)
		o.setFailure(strPtr(m.Status.FailureReason), m.Status.FailureMessage)
		return o, nil
	}
	var m capiv1beta2.Machine
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	o := meta(m.ObjectMeta, "Machine")
	o.Phase, o.ClusterName, o.NodeName = m.Status.Phase, m.Spec.ClusterName, m.Status.NodeRef.Name
	o.MachineInfraRef = Ref{m.Spec.InfrastructureRef.Kind, m.Spec.InfrastructureRef.Name}
	var v1 capiv1beta1.Conditions
	if d := m.Status.Deprecated; d != nil && d.V1Beta1 != nil {
		v1 = toV1beta1(d.V1Beta1.Conditions)
		o.setFailure(strPtr(d.V1Beta1.FailureReason), d.V1Beta1.FailureMessage)
	}
	o.setConditions(m.Status.Conditions, v1)
	return o, nil
}

func decodeMHC(version string, raw []byte) (*Object, error) {
	if isV1beta1(version) {
		var h capiv1beta1.MachineHealthCheck
		if err := json.Unmarshal(raw, &h); err != nil {
			return nil, err
		}
		o := meta(h.ObjectMeta, "MachineHealthCheck")
		o.ClusterName = h.Spec.ClusterName
		e, c, a := h.Status.ExpectedMachines, h.Status.CurrentHealthy, h.Status.RemediationsAllowed
		o.ExpectedMachines, o.CurrentHealthy, o.RemediationsAllowed = &e, &c, &a
		var v2 []metav1.Condition
		if s := h.Status.V1Beta2; s != nil {
			v2 = s.Conditions
		}
		o.setConditions(v2, h.Status.Conditions)
		return o, nil
	}
	var h capiv1beta2.MachineHealthCheck
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, err
	}
	o := meta(h.ObjectMeta, "MachineHealthCheck")
	o.ClusterName = h.Spec.ClusterName
	o.ExpectedMachines, o.CurrentHealthy, o.RemediationsAllowed = h.Status.ExpectedMachines, h.Status.CurrentHealthy, h.Status.RemediationsAllowed
	var v1 capiv1beta1.Conditions
	if d := h.Status.Deprecated; d != nil && d.V1Beta1 != nil {
		v1 = toV1beta1(d.V1Beta1.Conditions)
	}
	o.setConditions(h.Status.Conditions, v1)
	return o, nil
}

// genericStatus is what the Cluster API contracts ask of every
// infrastructure and control plane provider's objects, in both contract
// versions; providers' own types are not known here.
type genericObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Status            struct {
		Ready          *bool `json:"ready"`
		Initialization struct {
			Provisioned *bool `json:"provisioned"`
		} `json:"initialization"`
		Conditions []genericCondition `json:"conditions"`
		V1Beta2    struct {
			Conditions []genericCondition `json:"conditions"`
		} `json:"v1beta2"`
		Deprecated struct {
			V1Beta1 struct {
				Conditions []genericCondition `json:"conditions"`
			} `json:"v1beta1"`
		} `json:"deprecated"`
		FailureReason  string `json:"failureReason"`
		FailureMessage string `json:"failureMessage"`
	} `json:"status"`
}

type genericCondition struct {
	Type               string      `json:"type"`
	Status             string      `json:"status"`
	Severity           string      `json:"severity"`
	Reason             string      `json:"reason"`
	Message            string      `json:"message"`
	LastTransitionTime metav1.Time `json:"lastTransitionTime"`
}

// decodeGeneric reads a provider's object: its conditions when it has
// them, else its ready/provisioned flag as a Ready condition.
func decodeGeneric(version string, raw []byte) (*Object, error) {
	var g genericObject
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, err
	}
	o := meta(g.ObjectMeta, g.Kind)
	s := g.Status
	conds, v1 := s.Conditions, isV1beta1(version)
	if len(s.V1Beta2.Conditions) > 0 {
		conds, v1 = s.V1Beta2.Conditions, false
	}
	o.V1Beta1Conditions = v1
	for _, c := range conds {
		o.Conditions = append(o.Conditions, Condition{Type: c.Type, Status: c.Status, Reason: c.Reason, Message: c.Message, Severity: c.Severity, Since: c.LastTransitionTime.Time})
	}
	if o.Condition("Ready") == nil {
		ready := s.Ready
		if s.Initialization.Provisioned != nil {
			ready = s.Initialization.Provisioned
		}
		if ready != nil {
			st := "False"
			if *ready {
				st = "True"
			}
			o.Conditions = append([]Condition{{Type: "Ready", Status: st}}, o.Conditions...)
		}
	}
	o.Failure = conditionText(s.FailureReason, s.FailureMessage)
	return o, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func cmpOrPtr(a, b *int32) *int32 {
	if a != nil {
		return a
	}
	return b
}
