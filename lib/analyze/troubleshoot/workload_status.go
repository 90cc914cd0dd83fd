package troubleshoot

import (
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// deploymentStatus, statefulsetStatus, jobStatus and replicasetStatus: a
// named object against outcomes, or every object of some namespaces (all
// of them by default) with troubleshoot's default rule.

const (
	iconDeployment  = "kubernetes_deployment_status"
	iconDeployURI   = "https://troubleshoot.sh/images/analyzer-icons/deployment-status.svg?w=17&h=17"
	iconStatefulset = "kubernetes_statefulset_status"
	iconStsURI      = "https://troubleshoot.sh/images/analyzer-icons/statefulset-status.svg?w=23&h=14"
)

func init() {
	register("deploymentStatus", func(b *bundle, s any) ([]*Result, error) {
		a := s.(*spec.WorkloadStatusAnalyze)
		rs, err := deploymentStatus(b, a)
		return setStrict(rs, a.AnalyzeMeta), err
	})
	register("statefulsetStatus", func(b *bundle, s any) ([]*Result, error) {
		a := s.(*spec.WorkloadStatusAnalyze)
		rs, err := statefulsetStatus(b, a)
		return setStrict(rs, a.AnalyzeMeta), err
	})
	register("jobStatus", func(b *bundle, s any) ([]*Result, error) {
		a := s.(*spec.WorkloadStatusAnalyze)
		rs, err := jobStatus(b, a)
		return setStrict(rs, a.AnalyzeMeta), err
	})
	register("replicasetStatus", func(b *bundle, s any) ([]*Result, error) {
		a := s.(*spec.ReplicaSetStatusAnalyze)
		rs, err := replicasetStatus(b, a)
		return setStrict(rs, a.AnalyzeMeta), err
	})
}

func nsFile(dir, ns string) string { return path.Join("cluster-resources", dir, ns+".json") }

// namespaceFiles are the files an "all objects" analyzer reads: the
// namespace's, the namespaces', or every namespace's when none is given.
// jobStatus adds every namespace unless namespaces is set (troubleshoot's
// rule, kept as is); a file read twice is read once, as troubleshoot's map
// of files does.
func namespaceFiles(dir, ns string, nss []string, allUnlessList bool) []string {
	var out []string
	if ns != "" {
		out = append(out, nsFile(dir, ns))
	}
	for _, n := range nss {
		out = append(out, nsFile(dir, n))
	}
	if (allUnlessList && len(nss) == 0) || len(out) == 0 {
		out = append(out, nsFile(dir, "*"))
	}
	return out
}

// eachOnce calls fn for every file matched by any of patterns, once each.
func (b *bundle) eachOnce(patterns []string, fn func(name string, data []byte) error) error {
	seen := map[string]bool{}
	for _, p := range patterns {
		err := b.each(p, nil, func(name string, data []byte) error {
			if seen[name] {
				return nil
			}
			seen[name] = true
			return fn(name, data)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func deploymentStatus(b *bundle, a *spec.WorkloadStatusAnalyze) ([]*Result, error) {
	if a.Name != "" {
		var result *Result
		err := b.each(nsFile("deployments", a.Namespace), nil, func(name string, data []byte) error {
			var list appsv1.DeploymentList
			if err := json.Unmarshal(data, &list); err != nil {
				return fmt.Errorf("failed to unmarshal deployment list: %w", err)
			}
			ready, exists := 0, false
			for _, d := range list.Items {
				if d.Name == a.Name {
					ready, exists = int(d.Status.ReadyReplicas), true
				}
			}
			r, err := commonStatus(a.Outcomes, a.Name, iconDeployment, "https://troubleshoot.sh/images/analyzer-icons/deployment-status.svg?w=17&h=17", ready, exists, "deployment")
			if err != nil {
				return fmt.Errorf("failed to process status: %w", err)
			}
			r.File = name
			result = r
			return nil
		})
		return single(result), err
	}
	var out []*Result
	err := b.eachOnce(namespaceFiles("deployments", a.Namespace, a.Namespaces, false), func(name string, data []byte) error {
		var list appsv1.DeploymentList
		if err := json.Unmarshal(data, &list); err != nil {
			return fmt.Errorf("failed to unmarshal deployment list: %w", err)
		}
		for _, d := range list.Items {
			if d.Status.Replicas == d.Status.AvailableReplicas {
				continue
			}
			out = append(out, &Result{
				Title:   fmt.Sprintf("%s/%s Deployment Status", d.Namespace, d.Name),
				IconKey: iconDeployment, IconURI: iconDeployURI, IsFail: true,
				Message: fmt.Sprintf("The deployment %s/%s has %d/%d replicas", d.Namespace, d.Name, d.Status.ReadyReplicas, d.Status.Replicas),
				File:    name,
			})
		}
		return nil
	})
	return out, err
}

func single(r *Result) []*Result {
	if r == nil {
		return nil
	}
	return []*Result{r}
}

func statefulsetStatus(b *bundle, a *spec.WorkloadStatusAnalyze) ([]*Result, error) {
	if a.Name != "" {
		var result *Result
		err := b.each(nsFile("statefulsets", a.Namespace), nil, func(name string, data []byte) error {
			var list appsv1.StatefulSetList
			if err := json.Unmarshal(data, &list); err != nil {
				return fmt.Errorf("failed to unmarshal statefulset list: %w", err)
			}
			var found *appsv1.StatefulSet
			for i := range list.Items {
				if list.Items[i].Name == a.Name {
					found = &list.Items[i]
					break
				}
			}
			if len(a.Outcomes) > 0 {
				ready := 0
				if found != nil {
					ready = int(found.Status.ReadyReplicas)
				}
				r, err := commonStatus(a.Outcomes, a.Name, iconStatefulset, iconStsURI, ready, found != nil, "statefulset")
				if err != nil {
					return fmt.Errorf("failed to process status: %w", err)
				}
				result = r
			} else if found != nil {
				result = defaultStatefulSet(found)
			} else {
				// troubleshoot dereferences the missing statefulset here
				// and crashes; say what is missing instead.
				result = &Result{Title: a.Name + " Status", IconKey: iconStatefulset, IconURI: iconStsURI, IsFail: true,
					Message: fmt.Sprintf("The statefulset %q was not found", a.Name)}
			}
			if result != nil {
				result.File = name
			}
			return nil
		})
		return single(result), err
	}
	var out []*Result
	err := b.eachOnce(namespaceFiles("statefulsets", a.Namespace, a.Namespaces, false), func(name string, data []byte) error {
		var list appsv1.StatefulSetList
		if err := json.Unmarshal(data, &list); err != nil {
			return fmt.Errorf("failed to unmarshal statefulset list: %w", err)
		}
		for i := range list.Items {
			if r := defaultStatefulSet(&list.Items[i]); r != nil {
				r.File = name
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}

func defaultStatefulSet(s *appsv1.StatefulSet) *Result {
	if s.Status.Replicas == s.Status.ReadyReplicas {
		return nil
	}
	return &Result{
		Title:   fmt.Sprintf("%s/%s Statefulset Status", s.Namespace, s.Name),
		IconKey: iconStatefulset, IconURI: iconStsURI, IsFail: true,
		Message: fmt.Sprintf("The statefulset %s/%s has %d/%d replicas", s.Namespace, s.Name, s.Status.ReadyReplicas, s.Status.Replicas),
	}
}

func jobStatus(b *bundle, a *spec.WorkloadStatusAnalyze) ([]*Result, error) {
	if a.Name != "" {
		var result *Result
		err := b.each(nsFile("jobs", a.Namespace), nil, func(name string, data []byte) error {
			var list batchv1.JobList
			if err := json.Unmarshal(data, &list); err != nil {
				return fmt.Errorf("failed to unmarshal job list: %w", err)
			}
			var job *batchv1.Job
			for i := range list.Items {
				if list.Items[i].Name == a.Name {
					job = &list.Items[i]
					break
				}
			}
			switch {
			case job == nil:
				result = &Result{Title: a.Name + " Job Status", IconKey: iconDeployment, IconURI: iconDeployURI, IsFail: true,
					Message: fmt.Sprintf("The job %q was not found", a.Name)}
			case len(a.Outcomes) > 0:
				r, err := countedStatus(a.Outcomes, job.Name, func(field string) (int32, error) {
					switch field {
					case "succeeded":
						return job.Status.Succeeded, nil
					case "failed":
						return job.Status.Failed, nil
					}
					return 0, fmt.Errorf("unknown when value: %s", field)
				})
				if err != nil {
					return fmt.Errorf("failed to process status: %w", err)
				}
				result = r
			default:
				result = defaultJob(job)
			}
			if result != nil {
				result.File = name
			}
			return nil
		})
		return single(result), err
	}
	var out []*Result
	err := b.eachOnce(namespaceFiles("jobs", a.Namespace, a.Namespaces, true), func(name string, data []byte) error {
		var list batchv1.JobList
		if err := json.Unmarshal(data, &list); err != nil {
			return fmt.Errorf("failed to unmarshal job list: %w", err)
		}
		for i := range list.Items {
			if r := defaultJob(&list.Items[i]); r != nil {
				r.File = name
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}

func defaultJob(j *batchv1.Job) *Result {
	if j.Spec.Completions == nil && j.Status.Succeeded > 1 {
		return nil
	}
	if j.Spec.Completions != nil && *j.Spec.Completions == j.Status.Succeeded {
		return nil
	}
	if j.Status.Failed == 0 {
		return nil
	}
	return &Result{
		Title:   fmt.Sprintf("%s/%s Job Status", j.Namespace, j.Name),
		IconKey: iconDeployment, IconURI: iconDeployURI, IsFail: true,
		Message: fmt.Sprintf("The job %s/%s is not complete", j.Namespace, j.Name),
	}
}

// countedStatus is the outcome rule of jobStatus and replicasetStatus:
// "<field> <op> <int>", the first match wins, an empty when matches.
func countedStatus(outcomes []*spec.Outcome, name string, field func(string) (int32, error)) (*Result, error) {
	r := &Result{Title: name + " Status", IconKey: iconDeployment, IconURI: iconDeployURI}
	for _, o := range outcomes {
		out, when, ok := pick(o)
		if !ok {
			continue
		}
		if when == "" {
			apply(r, out)
			return r, nil
		}
		parts := strings.Split(strings.TrimSpace(when), " ")
		if len(parts) != 3 {
			return nil, fmt.Errorf("failed to parse %s range: unable to parse when range: %s", severityWord(out), when)
		}
		value, err := strconv.Atoi(parts[2])
		if err != nil {
			return nil, fmt.Errorf("failed to parse %s range: failed to parse when value: %s", severityWord(out), parts[2])
		}
		actual, err := field(parts[0])
		if err != nil {
			return nil, fmt.Errorf("failed to parse %s range: %w", severityWord(out), err)
		}
		match, err := compareOp(parts[1], int(actual), value)
		if err != nil {
			return nil, fmt.Errorf("failed to parse %s range: %w", severityWord(out), err)
		}
		if match {
			apply(r, out)
			return r, nil
		}
	}
	return r, nil
}

func replicasetStatus(b *bundle, a *spec.ReplicaSetStatusAnalyze) ([]*Result, error) {
	judge := func(rs *appsv1.ReplicaSet) (*Result, error) {
		if len(a.Outcomes) == 0 {
			return defaultReplicaSet(rs), nil
		}
		return countedStatus(a.Outcomes, rs.Name, func(field string) (int32, error) {
			switch field {
			case "ready":
				return rs.Status.ReadyReplicas, nil
			case "available":
				return rs.Status.AvailableReplicas, nil
			}
			return 0, fmt.Errorf("unknown when value: %s", field)
		})
	}
	if a.Name != "" {
		var result *Result
		err := b.each(nsFile("replicasets", a.Namespace), nil, func(name string, data []byte) error {
			var list appsv1.ReplicaSetList
			if err := json.Unmarshal(data, &list); err != nil {
				return fmt.Errorf("failed to unmarshal replicaset list: %w", err)
			}
			var found *appsv1.ReplicaSet
			for i := range list.Items {
				if list.Items[i].Name == a.Name {
					found = &list.Items[i]
					break
				}
			}
			if found == nil {
				result = &Result{Title: a.Name + " ReplicaSet Status", IconKey: iconDeployment, IconURI: iconDeployURI, IsFail: true,
					Message: fmt.Sprintf("The replicaset %q was not found", a.Name)}
			} else {
				r, err := judge(found)
				if err != nil {
					return fmt.Errorf("failed to process status: %w", err)
				}
				result = r
			}
			if result != nil {
				result.File = name
			}
			return nil
		})
		return single(result), err
	}
	selector, err := labels.Parse(strings.Join(a.Selector, ","))
	if err != nil {
		return nil, fmt.Errorf("failed to parse selector: %w", err)
	}
	var out []*Result
	err = b.eachOnce(namespaceFiles("replicasets", a.Namespace, a.Namespaces, false), func(name string, data []byte) error {
		var list appsv1.ReplicaSetList
		if err := json.Unmarshal(data, &list); err != nil {
			return fmt.Errorf("failed to unmarshal replicaset list: %w", err)
		}
		for i := range list.Items {
			rs := &list.Items[i]
			if !selector.Matches(labels.Set(rs.Labels)) {
				continue
			}
			r, err := judge(rs)
			if err != nil {
				return fmt.Errorf("failed to process status: %w", err)
			}
			if r != nil {
				r.File = name
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}

func defaultReplicaSet(rs *appsv1.ReplicaSet) *Result {
	if rs.Spec.Replicas == nil && rs.Status.AvailableReplicas == 1 {
		return nil
	}
	if rs.Spec.Replicas != nil && *rs.Spec.Replicas == rs.Status.AvailableReplicas {
		return nil
	}
	return &Result{
		Title:   fmt.Sprintf("%s/%s ReplicaSet Status", rs.Namespace, rs.Name),
		IconKey: iconDeployment, IconURI: iconDeployURI, IsFail: true,
		Message: fmt.Sprintf("The replicaset %s/%s is not ready", rs.Namespace, rs.Name),
	}
}
