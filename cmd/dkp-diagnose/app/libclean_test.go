package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cliOnlyImports are packages only cmd/ may import: lib/ is driven by
// values, never by a command line.
var cliOnlyImports = map[string]bool{
	"github.com/spf13/cobra": true,
	"github.com/spf13/viper": true,
	"github.com/spf13/pflag": true,
	"flag":                   true,
}

// importAllowed lists, per lib/ file, a CLI-only package used there for
// something else than a command line.
var importAllowed = map[string]map[string]bool{}

// flagLiteralAllowed lists, per lib/ file, flag names that are some other
// program's flags there, not ours.
var flagLiteralAllowed = map[string]map[string]bool{
	// the node-collector program's own flags, passed to it in the node pod
	"collect/exec_copy_from_host.go": {"output": true, "timeout": true},
	// curl's --user, whose password the redaction rules mask (in log lines
	// and in container args)
	"collect/redact/shapes.go": {"user": true},
	"collect/redact/object.go": {"user": true},
}

var flagLiteral = regexp.MustCompile(`(?:^|[^-\w])--([a-z][a-z0-9-]*)`)

// TestLibKnowsNoCLI: no package under lib/ imports cobra, viper or pflag,
// and no string in lib/ names a flag of this command: the libraries speak
// in values and typed errors, and the command says them in flags (see
// withFlagHint).
func TestLibKnowsNoCLI(t *testing.T) {
	flags := commandFlags(NewRootCommand(io.Discard, io.Discard))
	require.Contains(t, flags, "bootstrap-kubeconfig", "the flag list comes from the command")
	root := filepath.Join("..", "..", "..", "lib")
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		files++
		rel, _ := filepath.Rel(root, path)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			assert.False(t, cliOnlyImports[p] && !importAllowed[filepath.ToSlash(rel)][p], "lib/%s imports %s", rel, p)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, m := range flagLiteral.FindAllStringSubmatch(s, -1) {
				if flags[m[1]] && !flagLiteralAllowed[filepath.ToSlash(rel)][m[1]] {
					t.Errorf("lib/%s: string %s names the command's flag --%s; return a typed error and let cmd/ add the hint", rel, lit.Value, m[1])
				}
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	assert.Greater(t, files, 20, "lib/ was scanned")
}

// commandFlags is every flag name of cmd and its subcommands.
func commandFlags(cmd *cobra.Command) map[string]bool {
	out := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		add := func(f *pflag.Flag) { out[f.Name] = true }
		c.Flags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(cmd)
	return out
}
