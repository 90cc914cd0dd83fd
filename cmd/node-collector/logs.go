package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// syslogFiles hold the logs of every unit on hosts where rsyslog or
// journald's forwarding writes plain text.
var syslogFiles = []string{"/var/log/syslog", "/var/log/messages"}

// journalDirs hold the binary systemd journal: persistent, then volatile.
var journalDirs = []string{"/var/log/journal", "/run/log/journal"}

// maxJournalLines bounds how many entries journalctl is asked for: the
// newest ones of the window, before the byte limit applies.
const maxJournalLines = 50000

// logSource is one place a unit's (or the kernel's) log lines may be: the
// journal's selector and the text logs to fall back to.
type logSource struct {
	// journalArgs select the lines in journalctl (--unit=…, --dmesg).
	journalArgs []string
	// ownFile is the unit's own text log (/var/log/kubelet.log).
	ownFile string
	// tag matches the lines of the unit in the syslog files.
	tag *regexp.Regexp
	// syslog are the text logs holding every unit's lines.
	syslog []string
}

// unitLogs is the log source of a systemd unit.
func unitLogs(unit string) logSource {
	return logSource{
		journalArgs: []string{"--unit=" + unit + ".service"},
		ownFile:     "/var/log/" + unit + ".log",
		// Matches "kubelet[123]:" and "kubelet:" after the host name.
		tag:    regexp.MustCompile(`\s` + regexp.QuoteMeta(unit) + `(\[\d+\])?:\s`),
		syslog: syslogFiles,
	}
}

// kernelLogs is the kernel's log (dmesg: OOM kills, disk and network
// errors) in the journal, kern.log or the syslog.
var kernelLogs = logSource{
	journalArgs: []string{"--dmesg"},
	ownFile:     "/var/log/kern.log",
	tag:         regexp.MustCompile(`\skernel:\s`),
	syslog:      syslogFiles,
}

// journalCollector returns the item for the log lines of src within
// --since: from the host's binary journal, read by the host's own
// journalctl (hostexec.go), else from text logs (/var/log/<unit>.log,
// else the unit's lines of the syslog files). Only the newest
// maxLogBytes are kept, and text lines older than --since are dropped
// when their timestamp can be parsed.
func journalCollector(src logSource) func(context.Context, *collector) ([]byte, error) {
	return func(ctx context.Context, c *collector) ([]byte, error) {
		cutoff := c.now.Add(-c.since)
		var errs []error
		if dir := c.journalDir(); dir != "" {
			data, err := c.readJournal(ctx, dir, src, cutoff)
			if err == nil {
				return data, nil
			}
			errs = append(errs, err)
		}
		data, err := c.readTextLog(src, cutoff)
		if err == nil {
			return data, nil
		}
		errs = append(errs, err)
		return nil, fmt.Errorf("no journal or text log readable: %w", errors.Join(errs...))
	}
}

// runtimeJournal is the log item of a container runtime's unit. A node
// runs one runtime: the item of the other is not applicable when the host
// has neither its unit file, its socket nor its text log.
func runtimeJournal(unit, socket string) func(context.Context, *collector) ([]byte, error) {
	read := journalCollector(unitLogs(unit))
	return func(ctx context.Context, c *collector) ([]byte, error) {
		_, sockErr := c.host.stat(socket)
		_, logErr := c.host.stat("/var/log/" + unit + ".log")
		if c.unitFile(unit+".service") == "" && sockErr != nil && logErr != nil {
			return nil, notApplicable(fmt.Sprintf("no %s.service unit, no %s: %s does not run here", unit, socket, unit))
		}
		return read(ctx, c)
	}
}

// journalDir is the first journal folder of the host that holds
// anything, or "" when the host keeps no binary journal.
func (c *collector) journalDir() string {
	for _, dir := range journalDirs {
		if entries, err := c.host.readDir(dir); err == nil && len(entries) > 0 {
			return dir
		}
	}
	return ""
}

// journalArgs builds journalctl's command line for src and the window:
// short-iso-precise stamps carry the date and zone, --quiet drops the
// "-- Boot …" banners, --lines keeps the newest entries.
func journalArgs(src logSource, cutoff time.Time) []string {
	args := []string{"--no-pager", "--quiet", "--output=short-iso-precise",
		"--since=@" + strconv.FormatInt(cutoff.Unix(), 10),
		"--lines=" + strconv.Itoa(maxJournalLines)}
	return append(args, src.journalArgs...)
}

// readJournal runs the host's journalctl on the journal in dir.
func (c *collector) readJournal(ctx context.Context, dir string, src logSource, cutoff time.Time) ([]byte, error) {
	out, _, err := c.runHost(ctx, false, maxLogBytes, "journalctl", journalArgs(src, cutoff)...)
	if err != nil {
		return nil, err
	}
	what := fmt.Sprintf("journalctl %s (the host's journal in %s)", strings.Join(src.journalArgs, " "), dir)
	return []byte(redact(string(c.logOutput(what, "", "all entries", string(out.stdout), out.cut, cutoff)))), nil
}

// readTextLog reads src's lines from the host's text logs.
func (c *collector) readTextLog(src logSource, cutoff time.Time) ([]byte, error) {
	data, skipped, err := c.host.readTail(src.ownFile, maxLogBytes)
	if err == nil {
		return []byte(redact(string(c.logOutput(src.ownFile, "", "whole file", filterSince(string(data), cutoff, c.now), skipped, cutoff)))), nil
	}
	errs := []error{err}
	for _, p := range src.syslog {
		data, skipped, err := c.host.readTail(p, maxLogBytes)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var kept []string
		for _, line := range strings.Split(string(data), "\n") {
			if src.tag.MatchString(line) {
				kept = append(kept, line)
			}
		}
		text := filterSince(strings.Join(kept, "\n")+"\n", cutoff, c.now)
		what := " (lines matching " + strings.TrimSpace(src.tag.String()) + ")"
		return []byte(redact(string(c.logOutput(p, what, "whole file", text, skipped, cutoff)))), nil
	}
	return nil, errors.Join(errs...)
}

// logOutput prefixes a log with where it came from and which window it
// covers: window is what was read when nothing was cut ("whole file" of
// a text log, "all entries" journalctl gave).
func (c *collector) logOutput(src, what, window, text string, skipped bool, cutoff time.Time) []byte {
	if skipped {
		window = fmt.Sprintf("last %d MiB", maxLogBytes>>20)
	}
	header := fmt.Sprintf("# source: %s%s, %s, lines since %s\n", src, what, window, cutoff.UTC().Format(time.RFC3339))
	if strings.TrimSpace(text) == "" {
		return []byte(header + "# no lines in the window\n")
	}
	return []byte(header + strings.TrimLeft(text, "\n"))
}

// klogTime is the prefix of kubelet's own log lines: I1125 10:36:17.123456.
var klogTime = regexp.MustCompile(`^[IWEF](\d{4} \d{2}:\d{2}:\d{2}\.\d{6})`)

// lineTime parses the timestamp a log line starts with: RFC 3339
// (rsyslog's high-precision format), the classic syslog stamp or klog's.
// The last two have no year: the one putting the time closest before now
// is taken.
func lineTime(line string, now time.Time) (time.Time, bool) {
	if first, _, ok := strings.Cut(line, " "); ok && len(first) >= 19 && first[4] == '-' {
		if t, err := time.Parse(time.RFC3339Nano, first); err == nil {
			return t, true
		}
	}
	withYear := func(t time.Time) time.Time {
		t = t.AddDate(now.Year()-t.Year(), 0, 0)
		if t.After(now.Add(24 * time.Hour)) {
			t = t.AddDate(-1, 0, 0)
		}
		return t
	}
	if len(line) >= 15 {
		if t, err := time.ParseInLocation(time.Stamp, line[:15], time.Local); err == nil {
			return withYear(t), true
		}
	}
	if m := klogTime.FindStringSubmatch(line); m != nil {
		if t, err := time.ParseInLocation("0102 15:04:05.000000", m[1], time.Local); err == nil {
			return withYear(t), true
		}
	}
	return time.Time{}, false
}

// filterSince drops lines older than cutoff. A line without a timestamp
// (a stack trace, a continuation) follows the decision of the line before.
func filterSince(text string, cutoff, now time.Time) string {
	var b strings.Builder
	keep := true
	for _, line := range strings.SplitAfter(text, "\n") {
		if t, ok := lineTime(line, now); ok {
			keep = !t.Before(cutoff)
		}
		if keep {
			b.WriteString(line)
		}
	}
	return b.String()
}
