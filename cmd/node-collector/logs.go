package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// syslogFiles hold the logs of every unit on hosts where rsyslog or
// journald's forwarding writes plain text.
var syslogFiles = []string{"/var/log/syslog", "/var/log/messages"}

// journalCollector returns the item for the logs of unit. The systemd
// journal is binary and journalctl cannot run from a scratch image, so
// this reads text logs: /var/log/<unit>.log when the host writes one,
// else the unit's lines of the syslog files. Only the last maxLogBytes of
// a file are read, and lines older than --since are dropped when their
// timestamp can be parsed.
func journalCollector(unit string) func(context.Context, *collector) ([]byte, error) {
	return func(_ context.Context, c *collector) ([]byte, error) {
		cutoff := c.now.Add(-c.since)
		own := "/var/log/" + unit + ".log"
		data, skipped, err := c.host.readTail(own, maxLogBytes)
		if err == nil {
			return c.logOutput(own, "", filterSince(string(data), cutoff, c.now), skipped, cutoff), nil
		}
		errs := []error{err}
		// Matches "kubelet[123]:" and "kubelet:" after the host name.
		tag := regexp.MustCompile(`\s` + regexp.QuoteMeta(unit) + `(\[\d+\])?:\s`)
		for _, p := range syslogFiles {
			data, skipped, err := c.host.readTail(p, maxLogBytes)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			var kept []string
			for _, line := range strings.Split(string(data), "\n") {
				if tag.MatchString(line) {
					kept = append(kept, line)
				}
			}
			text := filterSince(strings.Join(kept, "\n")+"\n", cutoff, c.now)
			return c.logOutput(p, " (lines of "+unit+")", text, skipped, cutoff), nil
		}
		for _, dir := range []string{"/var/log/journal", "/run/log/journal"} {
			if _, err := c.host.stat(dir); err == nil {
				errs = append(errs, fmt.Errorf("the systemd journal in %s cannot be read without journalctl, which this image does not have", dir))
			}
		}
		return nil, fmt.Errorf("no text log of %s found: %w", unit, errors.Join(errs...))
	}
}

// logOutput prefixes a log with where it came from and which window it
// covers.
func (c *collector) logOutput(src, what, text string, skipped bool, cutoff time.Time) []byte {
	window := "whole file"
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
