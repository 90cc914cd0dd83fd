package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// certDirs are the PKI folders of kubeadm and the kubelet.
var certDirs = []string{"/etc/kubernetes/pki", "/var/lib/kubelet/pki"}

// maxCertFiles bounds the walk; a PKI folder holds a few dozen files.
const maxCertFiles = 1000

// certLine is one certificate's report line, kept with its sort key.
type certLine struct {
	path string
	idx  int
	text string
}

// collectCerts reports every certificate in certDirs, one line each,
// sorted by path: subject, issuer, validity, days left and EXPIRED when
// past notAfter. Only CERTIFICATE PEM blocks are decoded; key blocks
// (kubelet-client-current.pem holds both) are skipped and never written.
func collectCerts(ctx context.Context, c *collector) ([]byte, error) {
	var lines []certLine
	var errs []error
	dirsFound := 0
	files := 0
	for _, dir := range certDirs {
		root, err := c.host.resolve(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		dirsFound++
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				rel, _ := filepath.Rel(root, p)
				lines = append(lines, certLine{path: path.Join(dir, filepath.ToSlash(rel)), text: fmt.Sprintf("error: %v", unwrapPathError(err))})
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if d.IsDir() || !isCertFile(d.Name()) {
				return nil
			}
			if files++; files > maxCertFiles {
				return fmt.Errorf("more than %d certificate files", maxCertFiles)
			}
			rel, _ := filepath.Rel(root, p)
			hostPath := path.Join(dir, filepath.ToSlash(rel))
			lines = append(lines, c.certLines(hostPath)...)
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", dir, err))
		}
	}
	if dirsFound == 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortFunc(lines, func(a, b certLine) int {
		if r := strings.Compare(a.path, b.path); r != 0 {
			return r
		}
		return a.idx - b.idx
	})
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	if len(lines) == 0 {
		b.WriteString("no certificate files found\n")
	}
	return []byte(b.String()), errors.Join(errs...)
}

// isCertFile selects files by name; .key files are never opened.
func isCertFile(name string) bool {
	return strings.HasSuffix(name, ".crt") || strings.HasSuffix(name, ".pem") || strings.HasSuffix(name, ".cert")
}

// certLines reads one host file (following links within the host, as
// kubelet-client-current.pem is one) and reports each certificate in it.
func (c *collector) certLines(hostPath string) []certLine {
	data, err := c.host.readFile(hostPath, maxConfigBytes)
	if err != nil {
		return []certLine{{path: hostPath, text: fmt.Sprintf("%s error: %v", hostPath, unwrapPathError(err))}}
	}
	var out []certLine
	idx := 0
	for len(data) > 0 {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		name := hostPath
		if idx > 0 {
			// A bundle (ca chain): number the certificates after the first.
			name = fmt.Sprintf("%s[%d]", hostPath, idx)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			out = append(out, certLine{path: hostPath, idx: idx, text: fmt.Sprintf("%s error: %v", name, err)})
		} else {
			out = append(out, certLine{path: hostPath, idx: idx, text: name + " " + describeCert(cert, c.now)})
		}
		idx++
	}
	if len(out) == 0 {
		out = append(out, certLine{path: hostPath, text: hostPath + " error: no PEM certificate"})
	}
	return out
}

// describeCert formats a certificate's identity and validity. Days left
// are whole days rounded down, negative once expired.
func describeCert(cert *x509.Certificate, now time.Time) string {
	left := cert.NotAfter.Sub(now)
	days := int(math.Floor(left.Hours() / 24))
	s := fmt.Sprintf("subject=%q issuer=%q notBefore=%s notAfter=%s daysLeft=%d",
		cert.Subject.String(), cert.Issuer.String(),
		cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339), days)
	if left <= 0 {
		s += " EXPIRED"
	} else if now.Before(cert.NotBefore) {
		s += " NOT_YET_VALID"
	}
	return s
}
