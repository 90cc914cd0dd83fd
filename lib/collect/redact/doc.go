// Package redact scrubs secrets from everything written into a support
// bundle.
//
// A Set is compiled once per run from the built-in rules and the custom
// rules of the spec's Redactor documents (troubleshoot.sh/v1beta2 syntax).
// Every bundle file is written through Set.Writer, which redacts line by
// line as the data streams through and replaces each secret with Mask. What
// was redacted (counts per file and rule, never the values) is in
// Set.Report.
//
// # Built-in rules
//
// The key/value rules mask the value of a key whose name ENDS with a
// sensitive word (case-insensitive, after any prefix of letters, digits and
// "_.-"; short words such as "pass", "pw", "auth" and "dsn" must start a
// word of the name: "DB_PASS", "bindPW", not "bypass", "oauth"), in every
// common form: YAML `password: v` (a bare YAML value runs to the end of the
// line, also after a quoted key, an anchor or a tag), YAML block scalars
// (`password: |`: the indented lines below) and a value on the next line,
// JSON `"password": "v"`, JSON inside a JSON string (`\"password\":\"v\"`,
// as in the last-applied-configuration annotation), env and INI lines
// (`PASSWORD=v w`, `password = v w`: to the end of the line), logfmt
// `password=v` (one token, or a quoted string), docker Env elements
// ("PASSWORD=v w": to the quote), flags `--password=v` and `--password v`,
// argument lists whose value is the next element (`"--password", "v"`, also
// on the next line), and Kubernetes env entries `"name": "DB_PASSWORD"`
// followed by `"value": "v"` (same line or next line, JSON or YAML). A key
// without ":" or "=" is prose and left alone ("password reset page loaded";
// only a --flag takes its value after a blank), as are keys that merely
// contain a word ("tokenizer", "secretName", "password_file"), the
// allow-list (allowedKeys: "existingSecret", ...), bare true/false/null
// values, variable references ($(X), ${X}), file paths and kubectl
// describe's "<set to the key ...>" references. Which rule a match counts
// for depends on the word:
//
//	builtin.password           password, passwd, passphrase, passcode, pass, pw, pwd
//	builtin.token              token (access_token, refreshToken, kubeconfig token:)
//	builtin.secret             secret (client_secret, clientSecret)
//	builtin.access-key         key after api, access, secret, private, encryption,
//	                           license, signing, session, ... (keyPrefixes); secret_key_base
//	builtin.credentials        credential, credentials, creds, auth
//	builtin.client-key-data    kubeconfig client-key-data
//	builtin.connection-string  dsn, connection string (the whole value)
//
// The other built-in rules find secrets by their shape:
//
//	builtin.gitleaks            gitleaks' default rules (vendor token formats; see
//	                            gitleaks.go for the few left out and why)
//	builtin.connection-string   the password of scheme://user:password@host
//	                            (any scheme), of user:password@host without
//	                            scheme, of Go MySQL DSNs user:pw@tcp(...), and
//	                            Password=/Pwd= values of ADO/ODBC strings (;-separated)
//	builtin.url-token           the token of scheme://TOKEN@host
//	builtin.webhook-url         the path after a webhook segment (Slack, Discord, Teams)
//	builtin.signed-url          X-Amz-Signature=, X-Goog-Signature=, sig=, ... parameters
//	builtin.aws-access-key-id   AKIA… / ASIA… key ids
//	builtin.aws-secret-key      a 40-character key after aws_secret_access_key,
//	                            "AWS Secret Access Key", SecretAccessKey…
//	builtin.authorization       Authorization: Basic|Bearer|Token <credentials>
//	                            (header, JSON, YAML or Go map dump), the parameters
//	                            of Digest-like schemes, and "bearer <token>" anywhere
//	builtin.cookie              Cookie / Set-Cookie values, pair by pair
//	builtin.jwt                 JSON Web Tokens eyJ….eyJ….…, also base64-encoded
//	builtin.private-key         PEM private keys: the lines between BEGIN … PRIVATE
//	                            KEY and END (the marker lines stay), or the text
//	                            between them on one line (JSON string with \n escapes)
//	builtin.private-key-base64  base64-encoded PEM private keys (Secret data,
//	                            kubeconfig client-key-data)
//
// Masks keep documents valid: a quoted value keeps its quotes
// ("password": "***HIDDEN***"); a bare value after "key:" that ends its line
// is written quoted (password: "***HIDDEN***"), because a YAML plain scalar
// cannot start with '*' and a JSON number or literal must become a string.
//
// # Custom rules
//
// A spec.Redact applies to the files its fileSelector selects, all files when
// it has none. A glob (path.Match syntax, against the path inside the bundle;
// a leading "/" or "./" is ignored) selects a file when it matches the path,
// a directory the file is in ("allPodLogs/kube-system" and
// "allPodLogs/*" select every file below), or, for a glob without "/", the
// file's base name ("*.log"). "**" is not special: like "*" it stops at "/".
// A rule removes:
//
//   - values: every occurrence of each literal string (case-sensitive);
//   - regex with only redactor: on each line, every match's group named
//     "mask", or the whole match when the regex has no such group;
//   - regex with selector: when a line matches selector, the redactor is
//     applied to the next line (multi-line key/value pairs);
//   - yamlPath: values at a path in YAML or JSON files, replaced by the
//     string Mask whatever they were (scalar, mapping or list).
//
// A yamlPath is a dotted path, close to troubleshoot.sh's:
//
//	data.password              key "password" of mapping "data"
//	spec.*.token               "*": every key of a mapping / item of a list
//	items.[0].x  items[0].x    "[n]": item n of a list ("[*]": every item)
//	items.0.x                  a number also indexes a list
//	data."tls.key"  data.tls\.key   a key containing dots
//
// A path that does not start with "items" or "*" also applies to every item
// of a top-level "items" list, so "data.password" works both on one Secret
// and on a SecretList. JSON files are edited in place (formatting kept); YAML
// files are re-encoded, with two-space indentation, only when something was
// masked. A yamlPath rule without fileSelector applies to .yaml, .yml and
// .json files only, and the files it applies to are buffered whole (a path
// needs the parsed document). A selected file that is neither JSON nor YAML
// is left to the line rules and listed in Report.Errors.
//
// Unnamed custom rules are reported as "redactor-<index>" (the index in the
// spec's list); names starting with "builtin." are reserved.
//
// # Limits
//
// Rules see one line at a time (plus the selector, name/value, flag, PEM and
// YAML block state carried from the lines before). A literal value or a regex
// match that spans lines is not found; neither is a token shape split by the
// chunking of a line longer than DefaultMaxLine (chunks are cut after a blank
// or comma when possible; a key's value that a cut separates from its key is
// still masked). A regex runs only on lines that contain one of its keywords:
// the built-in rules name theirs, and for a custom regex they are the
// literals every match must contain ("user=" in `user=(?P<mask>\w+)`). A
// custom regex without such a literal (`[0-9]{16}`) runs on every line and
// slows redaction down noticeably.
package redact
