package framework

import (
	"context"
	"fmt"
	"syscall"
)

// Components of a cluster, for Signal, Kill and Restart.
const (
	Etcd      = "etcd"
	APIServer = "kube-apiserver"
)

// component returns the process of name.
func (c *Cluster) component(name string) *process {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		if p.name == name {
			return p
		}
	}
	c.tb.Fatalf("cluster %s has no component %s", c.Name, name)
	return nil
}

// Signal sends sig to a component: SIGSTOP freezes it with its sockets
// open, so that its clients' requests are accepted and never answered (a
// stalled etcd); SIGCONT lets it go on.
func (c *Cluster) Signal(name string, sig syscall.Signal) {
	c.component(name).signal(sig)
}

// Kill kills a component with SIGKILL and waits until it is gone: a crash.
// A stopped (SIGSTOP) process dies too.
func (c *Cluster) Kill(name string) {
	p := c.component(name)
	p.signal(syscall.SIGKILL)
	<-p.done
}

// Restart starts a component that was killed again, with its arguments and
// data (etcd keeps its data folder), and for the API server waits until it
// is ready, so that a test can look at what a fault left in the cluster.
func (c *Cluster) Restart(name string) {
	c.tb.Helper()
	p := c.component(name)
	if done, _ := p.exited(); !done {
		c.tb.Fatalf("restart %s: it is still running", name)
	}
	np, err := startProcess(p.name, c.LogDir, p.bin, p.args, p.env)
	if err != nil {
		c.tb.Fatalf("restart %s: %v", name, err)
	}
	// In the old one's place: Stop stops components in reverse start order,
	// and waits check that every tracked process is alive.
	c.mu.Lock()
	for i := range c.procs {
		if c.procs[i] == p {
			c.procs[i] = np
		}
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := c.waitReadyz(ctx); err != nil {
		c.tb.Fatalf("restart %s: %v", name, fmt.Errorf("cluster %s not ready again: %w", c.Name, err))
	}
}

// WaitReady waits until the API server answers /readyz again, after a
// component was resumed (SIGCONT) or restarted.
func (c *Cluster) WaitReady() {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := c.waitReadyz(ctx); err != nil {
		c.tb.Fatalf("cluster %s not ready again: %v", c.Name, err)
	}
}
