package collect

import (
	"context"
	"path"
	"sync"

	"golang.org/x/sync/errgroup"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// authCanIDir is where troubleshoot.sh writes, per namespace, the rules a
// SelfSubjectRulesReview returns (what `kubectl auth can-i --list` shows):
// it tells a reader whether data is missing because the collecting user
// could not read it.
const authCanIDir = resourcesDir + "auth-cani-list"

// authCanI writes auth-cani-list/<namespace>.json for each namespace, as
// troubleshoot.sh does: the review's resource rules, then its non-resource
// rules, as a JSON list of RBAC policy rules. Failed or incomplete reviews
// go to auth-cani-list-errors.json, a namespace → message object.
func (c *clusterResources) authCanI(ctx context.Context, env *Env, namespaces []string) error {
	var mu sync.Mutex
	failed := map[string]string{}
	var g errgroup.Group
	g.SetLimit(env.Workers())
	for _, ns := range namespaces {
		g.Go(func() error {
			review := &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: ns}}
			res, err := env.Client.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, review, metav1.CreateOptions{})
			if err != nil {
				mu.Lock()
				failed[ns] = err.Error()
				mu.Unlock()
				env.Partial(err)
				return nil
			}
			if res.Status.Incomplete {
				// Not a failure of the run: some authorizers cannot list
				// rules. The review is still written, as troubleshoot does.
				mu.Lock()
				failed[ns] = res.Status.EvaluationError
				mu.Unlock()
			}
			return env.Out.WriteJSON(path.Join(authCanIDir, ns+".json"), policyRules(&res.Status))
		})
	}
	err := g.Wait()
	if len(failed) > 0 {
		if werr := env.Out.WriteJSON(authCanIDir+"-errors.json", failed); err == nil {
			err = werr
		}
	}
	return err
}

// policyRules is a review's rules as kubectl's `auth can-i --list` turns
// them into RBAC rules.
func policyRules(st *authorizationv1.SubjectRulesReviewStatus) []rbacv1.PolicyRule {
	rules := []rbacv1.PolicyRule{}
	for _, r := range st.ResourceRules {
		rules = append(rules, rbacv1.PolicyRule{Verbs: r.Verbs, APIGroups: r.APIGroups, Resources: r.Resources, ResourceNames: r.ResourceNames})
	}
	for _, r := range st.NonResourceRules {
		rules = append(rules, rbacv1.PolicyRule{Verbs: r.Verbs, NonResourceURLs: r.NonResourceURLs})
	}
	return rules
}
