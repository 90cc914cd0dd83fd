package spec

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KindAnalyzer is troubleshoot's kind for a document that holds analyzers only.
const KindAnalyzer = "Analyzer"

// Analyzer is a troubleshoot.sh/v1beta2 Analyzer document.
type Analyzer struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta   `json:"metadata,omitempty"`
	Spec     AnalyzerSpec `json:"spec"`
}

// AnalyzerSpec lists analyzers. Host analyzers read what host collectors
// gather, which dkp-diagnose does not run; they are accepted and reported as
// not supported.
type AnalyzerSpec struct {
	// Analyzers are read into Spec.Analyzers by their own pass (see
	// parseAnalyzers); here they are only known to be a list.
	Analyzers     []map[string]any `json:"analyzers,omitempty"`
	HostAnalyzers []map[string]any `json:"hostAnalyzers,omitempty"`
	URI           string           `json:"uri,omitempty"`
}

// Analyze is one entry of spec.analyzers: one analyzer type is set. The
// types dkp-diagnose runs are typed and checked like collectors (unknown
// fields are errors with their line); any other key troubleshoot knows
// lands in Unsupported so that the run reports it instead of passing it.
type Analyze struct {
	ClusterVersion           *ClusterVersionAnalyze           `json:"clusterVersion,omitempty"`
	StorageClass             *StorageClassAnalyze             `json:"storageClass,omitempty"`
	CustomResourceDefinition *CustomResourceDefinitionAnalyze `json:"customResourceDefinition,omitempty"`
	Ingress                  *IngressAnalyze                  `json:"ingress,omitempty"`
	Secret                   *SecretAnalyze                   `json:"secret,omitempty"`
	ConfigMap                *ConfigMapAnalyze                `json:"configMap,omitempty"`
	DeploymentStatus         *WorkloadStatusAnalyze           `json:"deploymentStatus,omitempty"`
	StatefulsetStatus        *WorkloadStatusAnalyze           `json:"statefulsetStatus,omitempty"`
	JobStatus                *WorkloadStatusAnalyze           `json:"jobStatus,omitempty"`
	ReplicaSetStatus         *ReplicaSetStatusAnalyze         `json:"replicasetStatus,omitempty"`
	ClusterPodStatuses       *ClusterPodStatusesAnalyze       `json:"clusterPodStatuses,omitempty"`
	ClusterContainerStatuses *ClusterContainerStatusesAnalyze `json:"clusterContainerStatuses,omitempty"`
	NodeResources            *NodeResourcesAnalyze            `json:"nodeResources,omitempty"`
	TextAnalyze              *TextAnalyze                     `json:"textAnalyze,omitempty"`
	YamlCompare              *CompareAnalyze                  `json:"yamlCompare,omitempty"`
	JsonCompare              *CompareAnalyze                  `json:"jsonCompare,omitempty"`
	ClusterResource          *ClusterResourceAnalyze          `json:"clusterResource,omitempty"`
	Event                    *EventAnalyze                    `json:"event,omitempty"`

	// Unsupported is the key of an analyzer type dkp-diagnose does not run
	// (e.g. "longhorn"); its settings are not read.
	Unsupported string `json:"-"`
	// Source is "file:line" of the entry, for messages.
	Source string `json:"-"`
}

// AnalyzerKeys are the analyzer types dkp-diagnose runs, in the order of
// the Analyze struct.
func AnalyzerKeys() []string {
	var keys []string
	t := reflect.TypeFor[Analyze]()
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}

// parseAnalyzers reads spec.analyzers of document n: each entry is checked
// against its type, with lines, like collectors.
func parseAnalyzers(file string, doc *yaml.Node) ([]*Analyze, error) {
	specNode := mapValue(doc, "spec")
	if specNode == nil {
		return nil, nil
	}
	list := mapValue(specNode, "analyzers")
	if list == nil || isNull(list) {
		list = &yaml.Node{Kind: yaml.SequenceNode}
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: spec.analyzers must be a list", file, list.Line)
	}
	fields := map[string]int{}
	t := reflect.TypeFor[Analyze]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		fields[name] = i
	}
	var out []*Analyze
	for i, item := range list.Content {
		if item.Kind == yaml.AliasNode {
			item = item.Alias
		}
		if item.Kind != yaml.MappingNode || len(item.Content) != 2 {
			return nil, fmt.Errorf("%s:%d: spec.analyzers[%d] must be a mapping with one analyzer type", file, item.Line, i)
		}
		key, val := item.Content[0].Value, item.Content[1]
		a := &Analyze{Source: fmt.Sprintf("%s:%d", file, item.Line)}
		idx, ok := fields[key]
		if !ok || key == "-" {
			if !slices.Contains(TroubleshootAnalyzerKeys, key) {
				return nil, fmt.Errorf("%s:%d: unknown analyzer type %q (known: %s)", file, item.Content[0].Line, key, strings.Join(TroubleshootAnalyzerKeys, ", "))
			}
			// An excluded one is not reported either: it would not run.
			if ex := mapValue(val, "exclude"); ex != nil && ex.Kind == yaml.ScalarNode {
				if v, err := strconv.ParseBool(ex.Value); err == nil && v {
					continue
				}
			}
			a.Unsupported = key
			out = append(out, a)
			continue
		}
		f := t.Field(idx)
		if err := check(val, f.Type, fmt.Sprintf("spec.analyzers[%d].%s", i, key)); err != nil {
			return nil, fmt.Errorf("%s:%w", file, err)
		}
		target := reflect.New(f.Type.Elem())
		if err := decodeStrict(file, val, target.Interface()); err != nil {
			return nil, err
		}
		reflect.ValueOf(a).Elem().Field(idx).Set(target)
		out = append(out, a)
	}
	// Host analyzers read host collectors' output, which dkp-diagnose does
	// not collect: each is kept to be reported as not supported.
	if hosts := mapValue(specNode, "hostAnalyzers"); hosts != nil && hosts.Kind == yaml.SequenceNode {
		for _, item := range hosts.Content {
			if item.Kind == yaml.MappingNode && len(item.Content) >= 2 {
				out = append(out, &Analyze{Unsupported: "hostAnalyzers/" + item.Content[0].Value, Source: fmt.Sprintf("%s:%d", file, item.Line)})
			}
		}
	}
	return out, nil
}

// Type returns the analyzer's type key ("deploymentStatus", …) and its
// settings (nil for an unsupported type).
func (a *Analyze) Type() (string, any) {
	if a.Unsupported != "" {
		return a.Unsupported, nil
	}
	v := reflect.ValueOf(a).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.Pointer && !f.IsNil() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			return name, f.Interface()
		}
	}
	return "", nil
}

// Outcome is one entry of an analyzer's outcomes: one of Fail, Warn, Pass.
type Outcome struct {
	Fail *SingleOutcome `json:"fail,omitempty"`
	Warn *SingleOutcome `json:"warn,omitempty"`
	Pass *SingleOutcome `json:"pass,omitempty"`
}

// SingleOutcome is an outcome's condition and what it says when it holds.
type SingleOutcome struct {
	When    string `json:"when,omitempty"`
	Message string `json:"message,omitempty"`
	URI     string `json:"uri,omitempty"`
}

// AnalyzeMeta is inlined in every analyzer.
type AnalyzeMeta struct {
	CheckName   string            `json:"checkName,omitempty"`
	Exclude     *BoolOrString     `json:"exclude,omitempty"`
	Strict      *BoolOrString     `json:"strict,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ClusterVersionAnalyze checks the server version with semver ranges.
type ClusterVersionAnalyze struct {
	AnalyzeMeta `json:",inline"`
	Outcomes    []*Outcome `json:"outcomes"`
}

// StorageClassAnalyze checks that a storage class (or a default one) exists.
type StorageClassAnalyze struct {
	AnalyzeMeta      `json:",inline"`
	Outcomes         []*Outcome `json:"outcomes"`
	StorageClassName string     `json:"storageClassName,omitempty"`
}

// CustomResourceDefinitionAnalyze checks that a CRD exists.
type CustomResourceDefinitionAnalyze struct {
	AnalyzeMeta                  `json:",inline"`
	Outcomes                     []*Outcome `json:"outcomes"`
	CustomResourceDefinitionName string     `json:"customResourceDefinitionName"`
}

// IngressAnalyze checks that an ingress exists.
type IngressAnalyze struct {
	AnalyzeMeta `json:",inline"`
	Outcomes    []*Outcome `json:"outcomes"`
	IngressName string     `json:"ingressName"`
	Namespace   string     `json:"namespace"`
}

// SecretAnalyze checks that a secret (and a key of it) exists.
type SecretAnalyze struct {
	AnalyzeMeta `json:",inline"`
	Outcomes    []*Outcome `json:"outcomes"`
	SecretName  string     `json:"secretName"`
	Namespace   string     `json:"namespace"`
	Key         string     `json:"key,omitempty"`
}

// ConfigMapAnalyze checks that a config map (and a key of it) exists.
type ConfigMapAnalyze struct {
	AnalyzeMeta   `json:",inline"`
	Outcomes      []*Outcome `json:"outcomes"`
	ConfigMapName string     `json:"configMapName"`
	Namespace     string     `json:"namespace"`
	Key           string     `json:"key,omitempty"`
}

// WorkloadStatusAnalyze is deploymentStatus, statefulsetStatus and
// jobStatus: one named workload against outcomes, or every workload of some
// namespaces with the default rule.
type WorkloadStatusAnalyze struct {
	AnalyzeMeta `json:",inline"`
	Outcomes    []*Outcome `json:"outcomes"`
	Namespace   string     `json:"namespace,omitempty"`
	Namespaces  []string   `json:"namespaces,omitempty"`
	Name        string     `json:"name"`
}

// ReplicaSetStatusAnalyze is a WorkloadStatusAnalyze that may select
// replica sets by label.
type ReplicaSetStatusAnalyze struct {
	AnalyzeMeta `json:",inline"`
	Outcomes    []*Outcome `json:"outcomes"`
	Namespace   string     `json:"namespace,omitempty"`
	Namespaces  []string   `json:"namespaces,omitempty"`
	Name        string     `json:"name"`
	Selector    []string   `json:"selector"`
}

// ClusterPodStatusesAnalyze matches every pod against outcomes.
type ClusterPodStatusesAnalyze struct {
	AnalyzeMeta `json:",inline"`
	Outcomes    []*Outcome `json:"outcomes"`
	Namespaces  []string   `json:"namespaces,omitempty"`
}

// ClusterContainerStatusesAnalyze matches every container against outcomes.
type ClusterContainerStatusesAnalyze struct {
	AnalyzeMeta  `json:",inline"`
	Outcomes     []*Outcome `json:"outcomes"`
	Namespaces   []string   `json:"namespaces,omitempty"`
	RestartCount int32      `json:"restartCount"`
}

// NodeResourcesAnalyze counts or sums over (filtered) nodes.
type NodeResourcesAnalyze struct {
	AnalyzeMeta     `json:",inline"`
	Outcomes        []*Outcome           `json:"outcomes"`
	Filters         *NodeResourceFilters `json:"filters,omitempty"`
	IgnoreIfNoFiles bool                 `json:"ignoreIfNoFiles,omitempty"`
}

// NodeResourceFilters select the nodes nodeResources looks at.
type NodeResourceFilters struct {
	CPUArchitecture             string                 `json:"cpuArchitecture,omitempty"`
	CPUCapacity                 string                 `json:"cpuCapacity,omitempty"`
	CPUAllocatable              string                 `json:"cpuAllocatable,omitempty"`
	MemoryCapacity              string                 `json:"memoryCapacity,omitempty"`
	MemoryAllocatable           string                 `json:"memoryAllocatable,omitempty"`
	PodCapacity                 string                 `json:"podCapacity,omitempty"`
	PodAllocatable              string                 `json:"podAllocatable,omitempty"`
	EphemeralStorageCapacity    string                 `json:"ephemeralStorageCapacity,omitempty"`
	EphemeralStorageAllocatable string                 `json:"ephemeralStorageAllocatable,omitempty"`
	Selector                    *NodeResourceSelectors `json:"selector,omitempty"`
	ResourceName                string                 `json:"resourceName,omitempty"`
	ResourceAllocatable         string                 `json:"resourceAllocatable,omitempty"`
	ResourceCapacity            string                 `json:"resourceCapacity,omitempty"`
	Taint                       *Taint                 `json:"taint,omitempty"`
}

// NodeResourceSelectors select nodes by label.
type NodeResourceSelectors struct {
	MatchLabel       map[string]string                 `json:"matchLabel,omitempty"`
	MatchExpressions []metav1.LabelSelectorRequirement `json:"matchExpressions,omitempty"`
}

// Taint is a node taint to match (key, value, effect).
type Taint struct {
	Key       string       `json:"key"`
	Value     string       `json:"value,omitempty"`
	Effect    string       `json:"effect"`
	TimeAdded *metav1.Time `json:"timeAdded,omitempty"`
}

// TextAnalyze matches a regular expression against collected files.
type TextAnalyze struct {
	AnalyzeMeta     `json:",inline"`
	CollectorName   string     `json:"collectorName,omitempty"`
	FileName        string     `json:"fileName,omitempty"`
	RegexPattern    string     `json:"regex,omitempty"`
	RegexGroups     string     `json:"regexGroups,omitempty"`
	IgnoreIfNoFiles bool       `json:"ignoreIfNoFiles,omitempty"`
	Outcomes        []*Outcome `json:"outcomes"`
	ExcludeFiles    []string   `json:"excludeFiles,omitempty"`
}

// CompareAnalyze is yamlCompare and jsonCompare: a collected file (or a
// path in it) against an expected value.
type CompareAnalyze struct {
	AnalyzeMeta   `json:",inline"`
	CollectorName string     `json:"collectorName,omitempty"`
	FileName      string     `json:"fileName,omitempty"`
	Path          string     `json:"path,omitempty"`
	JSONPath      string     `json:"jsonPath,omitempty"`
	Value         string     `json:"value,omitempty"`
	Outcomes      []*Outcome `json:"outcomes"`
}

// ClusterResourceAnalyze compares a field of one collected object.
type ClusterResourceAnalyze struct {
	AnalyzeMeta   `json:",inline"`
	CollectorName string     `json:"collectorName,omitempty"`
	Outcomes      []*Outcome `json:"outcomes"`
	Kind          string     `json:"kind"`
	ClusterScoped bool       `json:"clusterScoped"`
	Namespace     string     `json:"namespace,omitempty"`
	Name          string     `json:"name"`
	YamlPath      string     `json:"yamlPath"`
	ExpectedValue string     `json:"expectedValue,omitempty"`
	RegexPattern  string     `json:"regex,omitempty"`
	RegexGroups   string     `json:"regexGroups,omitempty"`
}

// EventAnalyze matches collected events by reason, kind and message.
type EventAnalyze struct {
	AnalyzeMeta   `json:",inline"`
	CollectorName string     `json:"collectorName"`
	Namespace     string     `json:"namespace,omitempty"`
	Kind          string     `json:"kind,omitempty"`
	Reason        string     `json:"reason"`
	RegexPattern  string     `json:"regex,omitempty"`
	Outcomes      []*Outcome `json:"outcomes"`
}

// TroubleshootAnalyzerKeys are every analyzer type troubleshoot v0.133
// knows; those not in AnalyzerKeys are accepted and reported unsupported.
var TroubleshootAnalyzerKeys = []string{
	"clusterVersion", "storageClass", "ingressClass", "customResourceDefinition", "ingress",
	"secret", "configMap", "imagePullSecret", "deploymentStatus", "statefulsetStatus",
	"jobStatus", "replicasetStatus", "clusterPodStatuses", "clusterContainerStatuses",
	"containerRuntime", "distribution", "nodeResources", "textAnalyze", "yamlCompare",
	"jsonCompare", "postgres", "mssql", "mysql", "redis", "clickhouse", "cephStatus",
	"velero", "longhorn", "registryImages", "weaveReport", "sysctl", "clusterResource",
	"certificates", "goldpinger", "event", "nodeMetrics", "http", "s3Status",
}
