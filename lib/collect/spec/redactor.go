package spec

// Redactor is a troubleshoot.sh/v1beta2 Redactor document: extra rules that
// scrub the bundle on top of (or, with --redact=false, instead of) the
// built-in ones.
type Redactor struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta   `json:"metadata,omitempty"`
	Spec     RedactorSpec `json:"spec"`
}

// RedactorSpec lists redaction rules.
type RedactorSpec struct {
	Redactors []*Redact `json:"redactors,omitempty"`
}

// Redact is one named rule: which files it applies to and what it removes.
type Redact struct {
	Name         string       `json:"name,omitempty"`
	FileSelector FileSelector `json:"fileSelector,omitempty"`
	Removals     Removals     `json:"removals,omitempty"`
}

// FileSelector selects bundle files by glob (path.Match syntax, matched
// against the path inside the bundle, without the root folder). Empty selects
// every file.
type FileSelector struct {
	File  string   `json:"file,omitempty"`
	Files []string `json:"files,omitempty"`
}

// Removals are what a rule removes.
type Removals struct {
	// Values are literal strings replaced wherever they occur.
	Values []string `json:"values,omitempty"`
	// Regex rules: with only Redactor, every match's named group "mask" (or
	// the whole match) is masked on each line; with Selector too, a line
	// matching Selector makes Redactor apply to the next line (multi-line
	// key/value pairs such as JSON env entries).
	Regex []Regex `json:"regex,omitempty"`
	// YamlPath removes the value at a dotted path (with * and [n]) in YAML or
	// JSON files.
	YamlPath []string `json:"yamlPath,omitempty"`
}

// Regex is one regular-expression removal.
type Regex struct {
	Selector string `json:"selector,omitempty"`
	Redactor string `json:"redactor,omitempty"`
}
