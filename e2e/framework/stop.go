package framework

import (
	"fmt"
	"time"
)

// StopAPIServer kills the apiserver so the cluster is unreachable, as a
// workload cluster whose control plane crashed would be. It does not wait
// for a graceful shutdown: with controllers and kwok still watching, that
// takes the whole grace period, and an outage is abrupt anyway. The other
// components keep running and retrying.
func (c *Cluster) StopAPIServer() { c.Kill(APIServer) }

// Stop stops every component and waits until all have exited. It is
// idempotent; the test's cleanup calls it too.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		procs := append([]*process(nil), c.procs...)
		c.mu.Unlock()
		began := time.Now()
		killed := stopProcesses(procs)
		msg := fmt.Sprintf("cluster %s stopped in %s", c.Name, time.Since(began).Round(time.Millisecond))
		if len(killed) > 0 {
			msg += fmt.Sprintf("; killed %v after %s", killed, stopGrace)
		}
		c.tb.Log(msg)
	})
}

// cleanup stops the cluster and, when the test failed, shows why the
// cluster may have misbehaved: the temp folder with the logs is removed
// right after.
func (c *Cluster) cleanup() {
	c.Stop()
	if !c.tb.Failed() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		c.tb.Logf("cluster %s: last lines of %s (%s):\n%s", c.Name, p.name, p.logPath, p.tail(30))
	}
}
