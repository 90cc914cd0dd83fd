package app

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// Examples in the docs are tested so that they cannot drift from the code.
// A fenced block is tested when its info string says what it is:
//
//	```yaml spec            SupportBundle/Redactor documents: loaded and validated
//	```yaml collectors      spec.collectors items: wrapped in a SupportBundle, validated
//	```yaml config          a config file: every profile loaded by "config view"
//	```yaml config example  the same, and found verbatim in config/example-config.yaml
//	```console test         "$ dkp-diagnose …" lines run in the repository root
//	                        (KUBECONFIG: a fake API server, context kind-mgmt);
//	                        exit 0, and each following line found in the output
//	                        ("…" matches anything, runs of spaces match any space)

// docBlock is a tested fenced block of a Markdown file.
type docBlock struct {
	file string
	line int
	kind string // the info string after the language
	body string
}

var fence = regexp.MustCompile("(?m)^```(yaml|console) ([a-z ]+)\n")

func docBlocks(t *testing.T, files []string) []docBlock {
	t.Helper()
	var out []docBlock
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		text := string(data)
		for _, m := range fence.FindAllStringSubmatchIndex(text, -1) {
			start := m[1]
			end := strings.Index(text[start:], "\n```")
			require.GreaterOrEqual(t, end, 0, "%s: unclosed block", f)
			out = append(out, docBlock{
				file: f, line: strings.Count(text[:m[0]], "\n") + 1,
				kind: text[m[2]:m[3]] + " " + strings.TrimSpace(text[m[4]:m[5]]),
				body: text[start : start+end+1],
			})
		}
	}
	return out
}

func TestDocExamples(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	require.NoError(t, err)
	t.Chdir(root)
	files, err := filepath.Glob("docs/*.md")
	require.NoError(t, err)
	files = append(files, "README.md")
	t.Setenv("KUBECONFIG", fakeAPIServer(t, t.TempDir()))
	example, err := os.ReadFile("config/example-config.yaml")
	require.NoError(t, err)

	counts := map[string]int{}
	for _, b := range docBlocks(t, files) {
		counts[b.kind]++
		t.Run(fmt.Sprintf("%s:%d", b.file, b.line), func(t *testing.T) {
			switch b.kind {
			case "yaml spec":
				checkSpec(t, b.file, b.body)
			case "yaml collectors":
				checkSpec(t, b.file, "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  collectors:\n"+indent(b.body, "    "))
			case "yaml config example":
				assert.Contains(t, string(example), b.body, "the example in the docs is the shipped example file")
				fallthrough
			case "yaml config":
				checkConfig(t, b.body)
			case "console test":
				checkCommands(t, b.body)
			default:
				t.Fatalf("unknown block kind %q", b.kind)
			}
		})
	}
	t.Logf("tested doc blocks: %v", counts)
	for _, k := range []string{"yaml spec", "yaml collectors", "yaml config example", "console test"} {
		assert.Positive(t, counts[k], "no %q block found: did the docs or the markers change?", k)
	}
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = by + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// checkSpec loads a spec as a run does: parse, defaults, validation.
func checkSpec(t *testing.T, name, body string) {
	t.Helper()
	s, err := spec.Parse(name, []byte(body))
	require.NoError(t, err, body)
	require.NoError(t, collect.Validate(s.WithDefaults()), body)
}

// checkConfig loads a config file through "config view", with each of its
// profiles and with none.
func checkConfig(t *testing.T, body string) {
	t.Helper()
	cfg := write(t, t.TempDir(), "config.yaml", body)
	cv, _ := viewSettings(t, "--config", cfg)
	for _, p := range cv.Profiles {
		_, _ = viewSettings(t, "--config", cfg, "--profile", p)
	}
}

// checkCommands runs each "$ dkp-diagnose …" line and looks for the lines
// after it in its output.
func checkCommands(t *testing.T, body string) {
	t.Helper()
	var cmd []string
	var want []string
	run := func() {
		if cmd == nil {
			return
		}
		code, stdout, stderr := runApp(t, cmd[1:]...)
		require.Equal(t, ExitOK, code, "%v\n%s%s", cmd, stdout, stderr)
		got := strings.Split(stdout+stderr, "\n")
		for _, w := range want {
			assert.True(t, anyLineMatches(got, w), "%v: no output line like %q in\n%s%s", cmd, w, stdout, stderr)
		}
	}
	for _, l := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		if c, ok := strings.CutPrefix(l, "$ "); ok {
			run()
			cmd, want = strings.Fields(c), nil
			require.Equal(t, "dkp-diagnose", cmd[0], "only dkp-diagnose commands can be tested: %q", l)
			continue
		}
		if strings.TrimSpace(l) != "" && strings.TrimSpace(l) != "…" {
			want = append(want, l)
		}
	}
	run()
}

// anyLineMatches: some line has the parts of want between "…" in order,
// with any run of spaces matching any other.
func anyLineMatches(lines []string, want string) bool {
	var re strings.Builder
	re.WriteString("^")
	for i, part := range strings.Split(strings.TrimSpace(want), "…") {
		if i > 0 {
			re.WriteString(".*")
		}
		for j, w := range strings.Fields(part) {
			if j > 0 {
				re.WriteString(`\s+`)
			}
			re.WriteString(regexp.QuoteMeta(w))
		}
		if strings.HasSuffix(part, " ") {
			re.WriteString(`\s+`)
		}
	}
	re.WriteString("$")
	pattern := regexp.MustCompile(re.String())
	for _, l := range lines {
		if pattern.MatchString(strings.TrimSpace(l)) {
			return true
		}
	}
	return false
}

// TestUsageDocumentsEveryFlag: docs/usage.md names every flag and command.
func TestUsageDocumentsEveryFlag(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "usage.md"))
	require.NoError(t, err)
	doc := string(data)
	root := NewRootCommand(io.Discard, io.Discard)
	root.LocalFlags().VisitAll(func(f *pflag.Flag) {
		// Hidden flags are the in-cluster workers' protocol, set by the
		// CLI on the Job's pods, not settings of a user (docs/in-cluster.md).
		if f.Name != "help" && !f.Hidden {
			named := regexp.MustCompile(`--` + regexp.QuoteMeta(f.Name) + `([^-a-z]|$)`)
			assert.True(t, named.MatchString(doc), "docs/usage.md does not document --%s", f.Name)
		}
	})
	for _, c := range root.Commands() {
		assert.True(t, strings.Contains(doc, "dkp-diagnose "+c.Name()), "docs/usage.md does not show the %s command", c.Name())
	}
}
