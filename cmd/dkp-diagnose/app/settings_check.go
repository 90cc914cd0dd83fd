package app

import (
	"fmt"
	"time"
)

// checkRunSettings refuses values with no sensible meaning before anything
// else runs: a negative --since would collect every line, a zero --qps
// would let client-go pick its own rate, a zero --timeout would mean none.
func (o *options) checkRunSettings() error {
	switch {
	case o.since < 0:
		return fmt.Errorf("--since %s is negative: want how far back to read logs, like 48h", o.since)
	case o.timeout <= 0:
		return fmt.Errorf("--timeout %s: want a positive duration, like 30m", o.timeout)
	case o.timeout < time.Second:
		return fmt.Errorf("--timeout %s is too short to reach a cluster: want at least 1s", o.timeout)
	case !(o.qps > 0): // NaN too
		return fmt.Errorf("--qps %v: want a positive number of requests per second, like 100", o.qps)
	case o.burst < 1:
		return fmt.Errorf("--burst %d: want at least 1", o.burst)
	case o.concurrency < 1:
		return fmt.Errorf("--concurrency must be at least 1, got %d", o.concurrency)
	case o.parallelTargets < 1:
		return fmt.Errorf("--parallel-targets must be at least 1, got %d", o.parallelTargets)
	case o.maxLogLines < 0:
		return fmt.Errorf("--max-log-lines must not be negative, got %d", o.maxLogLines)
	case o.maxLogBytes < 0:
		return fmt.Errorf("--max-log-bytes must not be negative, got %d", o.maxLogBytes)
	}
	return nil
}
