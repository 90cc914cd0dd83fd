package redact

// Clone returns a Set with s's compiled rules and an empty report, for one
// more bundle: compiling the rules (regular expressions, the keyword
// matcher) is done once per run, while each bundle reports its own
// redactions. The rules are shared read-only, so s and its clones may be
// used at the same time. A nil Set clones to nil.
func (s *Set) Clone() *Set {
	if s == nil {
		return nil
	}
	// Fields left out on purpose are per-bundle state: outBufs and walkers
	// (pools, not copyable; empty ones fill up again), mu, counts and errs
	// (the report). TestCloneSharesRules
	// fails when a field is added and not placed on either side.
	return &Set{
		rules:    s.rules,
		builtins: s.builtins,
		custom:   s.custom,
		kw:       s.kw,
		match:    s.match,
		maxLine:  s.maxLine,
		// the structure rules (Kubernetes objects by kind and field)
		structure:  s.structure,
		structBase: s.structBase,
		counts:     map[countKey]int{},
	}
}
