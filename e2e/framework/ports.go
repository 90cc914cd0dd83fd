package framework

import (
	"fmt"
	"net"
	"sync"
)

// handedOut remembers every port given to a cluster of this test binary: the
// kernel may offer a just-closed port again, and two clusters started in
// parallel must never get the same one.
var (
	portsMu   sync.Mutex
	handedOut = map[int]bool{}
)

// freePorts returns n distinct loopback ports that were free a moment ago.
// All listeners stay open until all n are chosen so the kernel cannot hand
// the same port out twice within one call. Another process may still take a
// port before our component binds it; Start retries on that.
func freePorts(n int) ([]int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for attempts := 0; len(ports) < n; attempts++ {
		if attempts > 100*n {
			return nil, fmt.Errorf("find %d free ports: too many ports already in use", n)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find free port: %w", err)
		}
		listeners = append(listeners, l)
		port := l.Addr().(*net.TCPAddr).Port
		if handedOut[port] {
			continue
		}
		handedOut[port] = true
		ports = append(ports, port)
	}
	return ports, nil
}
