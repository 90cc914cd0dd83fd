package builtin

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
)

// maxEventObjects is how many object names a grouped event finding lists.
const maxEventObjects = 3

// eventGroup is the Warning events of one namespace with one reason about
// one kind of object.
type eventGroup struct {
	reason, kind, file string
	count              int
	objects            []string
	last               time.Time
	lastMessage        string
}

// events groups Warning events by reason and involved object's kind, per
// namespace file, and reports each group once with its total count, the
// newest message and a few of the objects. They are info: a Warning event
// is a symptom the other analyzers name the cause of, and every live
// cluster has some.
func (r *run) events() {
	for _, file := range resourceFiles(r.fsys, "events") {
		groups := map[string]*eventGroup{}
		err := decodeEach(r.fsys, file, func(_ listHead, e *corev1.Event) {
			if e.Type != corev1.EventTypeWarning {
				return
			}
			key := e.Reason + "\x00" + e.InvolvedObject.Kind
			g := groups[key]
			if g == nil {
				g = &eventGroup{reason: e.Reason, kind: e.InvolvedObject.Kind, file: file}
				groups[key] = g
			}
			n := int(e.Count)
			if e.Series != nil && int(e.Series.Count) > n {
				n = int(e.Series.Count)
			}
			g.count += max(n, 1)
			if len(g.objects) < maxEventObjects && !contains(g.objects, e.InvolvedObject.Name) {
				g.objects = append(g.objects, e.InvolvedObject.Name)
			}
			if t := eventTime(e); !t.Before(g.last) {
				g.last, g.lastMessage = t, e.Message
			}
		})
		r.unreadable(file, err)
		keys := make([]string, 0, len(groups))
		for k := range groups {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		ns := strings.TrimSuffix(file[strings.LastIndexByte(file, '/')+1:], ".json")
		for _, k := range keys {
			g := groups[k]
			r.add(analyze.Finding{
				Analyzer: IDWarningEvents, Severity: analyze.SeverityInfo,
				Title:   fmt.Sprintf("%d Warning events %s on %s in %s", g.count, orUnknown(g.reason), orUnknown(g.kind), ns),
				Message: fmt.Sprintf("objects: %s; latest: %s", strings.Join(g.objects, ", "), strings.TrimSpace(g.lastMessage)),
				Object:  g.kind, File: g.file, Count: g.count,
			})
		}
	}
}

// eventTime is when an event last happened, from whichever field is set.
func eventTime(e *corev1.Event) time.Time {
	switch {
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
