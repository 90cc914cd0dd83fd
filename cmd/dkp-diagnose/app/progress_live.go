package app

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mesosphere/dkp-diagnose/lib/fleet"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// redrawEvery is how often the live display refreshes: often enough to look
// alive, rarely enough to cost nothing next to a collection.
const redrawEvery = 200 * time.Millisecond

// liveDisplay keeps one row per target at the bottom of the terminal —
// state, collectors done/total, bundle bytes, the collector in flight —
// redrawn in place; other lines scroll above it.
type liveDisplay struct {
	w io.Writer // the terminal
	v verbosity
	// size reads the terminal's size, at the start and again before each
	// redraw: a window made smaller mid-run gets a smaller block.
	size func() (width, height int, ok bool)

	mu    sync.Mutex
	width int
	// height is the terminal's: the block never takes more rows (a block
	// taller than the screen cannot be moved over, and every redraw
	// would scroll a copy of it away). Zero is no limit.
	height  int
	targets []*targetProgress
	drawn   int // rows of the block now on screen
	closed  bool

	stop chan struct{}
	done chan struct{}
}

func newLiveDisplay(w io.Writer, v verbosity, size func() (width, height int, ok bool)) *liveDisplay {
	d := &liveDisplay{w: w, v: v, size: size, stop: make(chan struct{}), done: make(chan struct{})}
	d.resize()
	go d.loop()
	return d
}

// resize takes the terminal's size now; the caller holds mu (or the
// display is not shared yet).
func (d *liveDisplay) resize() {
	if w, h, ok := d.size(); ok {
		d.width, d.height = w, h
	}
}

func (d *liveDisplay) loop() {
	defer close(d.done)
	tick := time.NewTicker(redrawEvery)
	defer tick.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-tick.C:
			d.mu.Lock()
			d.resize()
			d.redraw()
			d.mu.Unlock()
		}
	}
}

func (d *liveDisplay) target(t *targets.Target, total int) *targetProgress {
	p := &targetProgress{d: d, label: targetLabel(t), total: total, state: stateWaiting,
		lines: d.v >= verbose, verbose: d.v >= verbose}
	d.mu.Lock()
	d.targets = append(d.targets, p)
	d.mu.Unlock()
	return p
}

func (d *liveDisplay) infof(format string, args ...any) {
	d.above(fmt.Sprintf(format, args...))
}

func (d *liveDisplay) warnf(format string, args ...any) {
	d.above(fmt.Sprintf(format, args...))
}

func (d *liveDisplay) logWriter() io.Writer { return lineFunc(d.above) }

// above prints s above the block, which is redrawn below it.
func (d *liveDisplay) above(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.clear()
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(cleanText(l) + "\n")
	}
	_, _ = io.WriteString(d.w, b.String())
	d.redraw()
}

// close draws the final state and leaves it on screen.
func (d *liveDisplay) close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.mu.Unlock()
	close(d.stop)
	<-d.done
	d.mu.Lock()
	defer d.mu.Unlock()
	d.redraw()
	d.closed, d.drawn = true, 0
}

// clear erases the block: cursor up to its first row, erase to the end of
// the screen.
func (d *liveDisplay) clear() {
	if d.closed || d.drawn == 0 {
		return
	}
	fmt.Fprintf(d.w, "\x1b[%dA\r\x1b[J", d.drawn)
	d.drawn = 0
}

func (d *liveDisplay) redraw() {
	if d.closed {
		return
	}
	d.clear()
	snaps := make([]snapshot, len(d.targets))
	for i, p := range d.targets {
		snaps[i] = p.snapshot()
	}
	snaps, more := fitRows(snaps, d.maxRows())
	labelWidth := 0
	for _, s := range snaps {
		labelWidth = max(labelWidth, min(len(s.label), 40))
	}
	var b strings.Builder
	for _, s := range snaps {
		b.WriteString(fitWidth(cleanText(row(s, labelWidth)), d.width-1) + "\n")
	}
	if more != "" {
		b.WriteString(fitWidth(more, d.width-1) + "\n")
	}
	_, _ = io.WriteString(d.w, b.String())
	d.drawn = len(snaps)
	if more != "" {
		d.drawn++
	}
}

// maxRows is how many rows the block may take: the terminal's height,
// less a row for the cursor and one for the line last printed above.
func (d *liveDisplay) maxRows() int {
	if d.height <= 0 {
		return 0
	}
	return max(d.height-2, 2)
}

// rowRank orders what a block too tall for the screen keeps: targets
// being collected, then those that failed, then those still waiting;
// those done well go first.
func rowRank(state string) int {
	switch state {
	case stateCollecting:
		return 0
	case string(fleet.StatusFailed), string(fleet.StatusPartial):
		return 1
	case stateWaiting:
		return 2
	}
	return 3
}

// fitRows keeps at most n rows (none dropped when n is 0 or they fit):
// n-1 of them by rowRank, in their order, and a last line counting the
// others by state.
func fitRows(snaps []snapshot, n int) ([]snapshot, string) {
	if n <= 0 || len(snaps) <= n {
		return snaps, ""
	}
	idx := make([]int, len(snaps))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return rowRank(snaps[a].state) - rowRank(snaps[b].state) })
	keep, hidden := idx[:n-1], idx[n-1:]
	slices.Sort(keep)
	kept := make([]snapshot, len(keep))
	for i, k := range keep {
		kept[i] = snaps[k]
	}
	count := map[string]int{}
	var states []string
	for _, h := range hidden {
		s := snaps[h].state
		if count[s] == 0 {
			states = append(states, s)
		}
		count[s]++
	}
	slices.SortStableFunc(states, func(a, b string) int { return rowRank(a) - rowRank(b) })
	parts := make([]string, len(states))
	for i, s := range states {
		parts[i] = fmt.Sprintf("%d %s", count[s], s)
	}
	return kept, fmt.Sprintf("… and %d more: %s", len(hidden), strings.Join(parts, ", "))
}

// row is one target's line of the block.
func row(s snapshot, labelWidth int) string {
	head := fmt.Sprintf("%-*s  %-10s", labelWidth, s.label, s.state)
	if s.state == stateWaiting || s.state == fleet.StatusSkipped {
		return head // nothing collected: no counts to show
	}
	line := fmt.Sprintf("%s %7s collectors  %9s", head, fmt.Sprintf("%d/%d", s.done, s.total), humanBytes(s.bytes))
	switch {
	case s.state == stateCollecting && s.current != "":
		line += fmt.Sprintf("  %s  %s", s.elapsed.Round(time.Second), s.current)
	case s.state == stateCollecting:
		line += fmt.Sprintf("  %s", s.elapsed.Round(time.Second))
	default:
		line += fmt.Sprintf("  %s", s.took.Round(time.Millisecond))
		if s.failed > 0 {
			line += fmt.Sprintf("  %d failed", s.failed)
		}
	}
	return line
}

// fitWidth cuts s to n runes so that no row wraps: a wrapped row would
// throw off the count of rows to move up over.
func fitWidth(s string, n int) string {
	if n <= 0 {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
