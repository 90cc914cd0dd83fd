package spec

import (
	"fmt"
	"strconv"
	"time"
)

// APIVersion is the only apiVersion accepted in spec documents.
const APIVersion = "troubleshoot.sh/v1beta2"

// Kinds accepted in spec documents.
const (
	KindSupportBundle = "SupportBundle"
	KindRedactor      = "Redactor"
)

// TypeMeta and ObjectMeta are kept minimal on purpose: a spec is a file, not
// an API object, and metadata only names it in messages.
type TypeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// ObjectMeta carries the name of a spec document.
type ObjectMeta struct {
	Name        string            `json:"name,omitempty"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// SupportBundle is a troubleshoot.sh/v1beta2 SupportBundle document.
type SupportBundle struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta        `json:"metadata,omitempty"`
	Spec     SupportBundleSpec `json:"spec"`
}

// SupportBundleSpec lists the collectors of a bundle and the analyzers run
// over it.
type SupportBundleSpec struct {
	Collectors []*Collect `json:"collectors,omitempty"`
	// Analyzers are read into Spec.Analyzers by their own pass (see
	// parseAnalyzers), which keeps unsupported types; here they are only
	// known to be a list.
	Analyzers     []map[string]any `json:"analyzers,omitempty"`
	HostAnalyzers []map[string]any `json:"hostAnalyzers,omitempty"`
}

// Collect is one entry of spec.collectors: exactly one field is set.
type Collect struct {
	ClusterInfo      *ClusterInfo      `json:"clusterInfo,omitempty"`
	ClusterResources *ClusterResources `json:"clusterResources,omitempty"`
	Secret           *Secret           `json:"secret,omitempty"`
	ConfigMap        *ConfigMap        `json:"configMap,omitempty"`
	Logs             *Logs             `json:"logs,omitempty"`
	AllLogs          *AllLogs          `json:"allLogs,omitempty"`
	Data             *Data             `json:"data,omitempty"`
	ExecCopyFromHost *ExecCopyFromHost `json:"execCopyFromHost,omitempty"`
	CopyFromHost     *CopyFromHost     `json:"copyFromHost,omitempty"`
	Exec             *Exec             `json:"exec,omitempty"`
	Copy             *Copy             `json:"copy,omitempty"`
	RunPod           *RunPod           `json:"runPod,omitempty"`
}

// CollectorMeta is inlined in every collector.
type CollectorMeta struct {
	// CollectorName names the collector in the bundle and in execution data.
	CollectorName string `json:"collectorName,omitempty"`
	// Exclude turns the collector off; "true"/"false" strings are accepted
	// because upstream specs template them.
	Exclude *BoolOrString `json:"exclude,omitempty"`
}

// IsExcluded reports whether the collector is switched off.
func (m CollectorMeta) IsExcluded() bool { return m.Exclude.Bool() }

// ClusterInfo collects the server version.
type ClusterInfo struct {
	CollectorMeta `json:",inline"`
}

// ClusterResources collects standard resources, CRDs and all custom resources.
type ClusterResources struct {
	CollectorMeta `json:",inline"`
	// Namespaces limits namespaced resources to these namespaces; empty means all.
	Namespaces []string `json:"namespaces,omitempty"`
	// IgnoreRBAC is accepted for compatibility; dkp-diagnose always tries and
	// records denials next to the data.
	IgnoreRBAC bool `json:"ignoreRBAC,omitempty"`
}

// Secret collects secrets: one by name, or by selector, in one namespace or,
// with Namespace empty, in all namespaces. Selector [""] selects all.
type Secret struct {
	CollectorMeta  `json:",inline"`
	Name           string   `json:"name,omitempty"`
	Selector       []string `json:"selector,omitempty"`
	Namespace      string   `json:"namespace,omitempty"`
	Key            string   `json:"key,omitempty"`
	IncludeValue   bool     `json:"includeValue,omitempty"`
	IncludeAllData bool     `json:"includeAllData,omitempty"`
}

// ConfigMap collects config maps the same way Secret collects secrets.
type ConfigMap struct {
	CollectorMeta  `json:",inline"`
	Name           string   `json:"name,omitempty"`
	Selector       []string `json:"selector,omitempty"`
	Namespace      string   `json:"namespace,omitempty"`
	Key            string   `json:"key,omitempty"`
	IncludeValue   bool     `json:"includeValue,omitempty"`
	IncludeAllData bool     `json:"includeAllData,omitempty"`
}

// Logs collects the logs of selected pods.
type Logs struct {
	CollectorMeta  `json:",inline"`
	Name           string     `json:"name,omitempty"`
	Selector       []string   `json:"selector,omitempty"`
	Namespace      string     `json:"namespace,omitempty"`
	ContainerNames []string   `json:"containerNames,omitempty"`
	Limits         *LogLimits `json:"limits,omitempty"`
	Timestamps     bool       `json:"timestamps,omitempty"`
	Timeout        string     `json:"timeout,omitempty"`
}

// AllLogs collects the logs of every pod in the given namespaces ("*" or
// empty: all) into allPodLogs/<namespace>/<pod>-<container>.log.
type AllLogs struct {
	CollectorMeta  `json:",inline"`
	Name           string     `json:"name,omitempty"`
	Selector       []string   `json:"selector,omitempty"`
	Namespaces     []string   `json:"namespaces,omitempty"`
	ContainerNames []string   `json:"containerNames,omitempty"`
	Limits         *LogLimits `json:"limits,omitempty"`
	Timestamps     bool       `json:"timestamps,omitempty"`
	Timeout        string     `json:"timeout,omitempty"`
}

// LogLimits bound what is read of each container log.
type LogLimits struct {
	MaxAge    string `json:"maxAge,omitempty"`
	MaxLines  int64  `json:"maxLines,omitempty"`
	SinceTime *Time  `json:"sinceTime,omitempty"`
	MaxBytes  int64  `json:"maxBytes,omitempty"`
}

// Data writes literal data into the bundle at <name>/<collectorName or "data">.
type Data struct {
	CollectorMeta `json:",inline"`
	Name          string `json:"name,omitempty"`
	Data          string `json:"data,omitempty"`
}

// Time is an RFC 3339 timestamp in a spec.
type Time struct{ time.Time }

// UnmarshalJSON accepts an RFC 3339 string.
func (t *Time) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("time must be a quoted RFC 3339 string, got %s", b)
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("time %q is not RFC 3339: %w", s, err)
	}
	t.Time = v
	return nil
}

// MarshalJSON writes RFC 3339.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(t.UTC().Format(time.RFC3339))), nil
}
