package bundle

import (
	"errors"
	"path"
	"slices"
	"strings"
)

// checkPath accepts only clean, relative, slash-separated paths: no leading
// "/", no "." or ".." element, no empty element, no trailing "/", no NUL. Being
// strict keeps one spelling per file, so duplicate detection is exact.
func checkPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case strings.HasPrefix(p, "/"):
		return errors.New("absolute path")
	case strings.ContainsRune(p, 0):
		return errors.New("NUL in path")
	}
	for _, el := range strings.Split(p, "/") {
		switch el {
		case "":
			return errors.New("empty path element")
		case ".":
			return errors.New(`"." path element`)
		case "..":
			return errors.New(`".." path element`)
		}
	}
	if path.Clean(p) != p { // unreachable given the checks above; kept as a guard
		return errors.New("path not clean")
	}
	return nil
}

// parents calls fn for each parent directory of p, outermost first
// ("a", "a/b" for "a/b/c"); it stops early when fn returns false.
func parents(p string, fn func(dir string) bool) {
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && !fn(p[:i]) {
			return
		}
	}
}

// relativeTo returns target as a path relative to the folder of from (both
// clean bundle paths): "../../b/c" for from "a/x/l" and target "b/c".
func relativeTo(from, target string) string {
	fromDir := strings.Split(path.Dir(from), "/")
	if path.Dir(from) == "." {
		fromDir = nil
	}
	to := strings.Split(target, "/")
	common := 0
	for common < len(fromDir) && common < len(to)-1 && fromDir[common] == to[common] {
		common++
	}
	up := slices.Repeat([]string{".."}, len(fromDir)-common)
	return path.Join(append(up, to[common:]...)...)
}
