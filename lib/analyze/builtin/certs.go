package builtin

import (
	"bufio"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
)

// certsFile is the node-collector's certificate report, one per node
// under <collector name>/<node>/data/ (docs/node-collector.md).
const certsFile = "certs_expiration"

// certsPattern matches every node's certificate report.
var certsPattern = path.Join("*", "*", "data", certsFile)

// certLine matches one line of that report:
// `<path> subject="…" issuer="…" notBefore=… notAfter=… daysLeft=N [EXPIRED]`.
var certLine = regexp.MustCompile(`^(\S+) subject=(".*") issuer=(".*") notBefore=(\S+) notAfter=(\S+) daysLeft=(-?\d+)( EXPIRED| NOT_YET_VALID)?$`)

// certs finds certificates that expired (fail) or expire within
// CertWarnDays (warn), from every node's certificate report. Days left are
// those the node counted when the bundle was collected.
func (r *run) certs() {
	files, _ := fs.Glob(r.fsys, certsPattern)
	for _, file := range files {
		node := path.Base(path.Dir(path.Dir(file)))
		err := r.certReport(file, node)
		r.unreadable(file, err)
	}
}

func (r *run) certReport(file, node string) error {
	f, err := r.fsys.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := certLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue // "no certificate files found", "<path> error: …"
		}
		days, _ := strconv.Atoi(m[6])
		subject, _ := strconv.Unquote(m[2])
		expired := m[7] == " EXPIRED" || days < 0
		if !expired && days >= r.opts.CertWarnDays {
			continue
		}
		f := analyze.Finding{
			Analyzer: IDCertExpiry, Severity: analyze.SeverityWarn,
			Title:   fmt.Sprintf("Certificate %s on node %s expires in %d days", m[1], node, days),
			Message: fmt.Sprintf("subject %s, not after %s", subject, m[5]),
			Object:  object("Node", "", node), File: file,
		}
		if expired {
			f.Severity = analyze.SeverityFail
			f.Title = fmt.Sprintf("Certificate %s on node %s has expired", m[1], node)
			f.Message = fmt.Sprintf("subject %s, expired %s (%d days ago)", subject, m[5], -days)
		}
		r.add(f)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return nil
}
