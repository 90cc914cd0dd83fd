package framework

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// stopGrace is how long a component gets to exit after SIGTERM. The data is
// throw-away, so there is no point in waiting for a clean shutdown longer.
const stopGrace = 3 * time.Second

// process is one control-plane component started by the framework.
type process struct {
	name    string
	bin     string
	args    []string
	env     []string
	cmd     *exec.Cmd
	logPath string
	log     *os.File
	done    chan struct{} // closed once Wait returned
	waitErr error
}

// startProcess runs bin with args, stdout and stderr going to logDir/name.log.
// env nil means the test's environment.
func startProcess(name, logDir, bin string, args, env []string) (*process, error) {
	logPath := filepath.Join(logDir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log of %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Pdeathsig kills the component when the test binary dies without
		// running its cleanups (panic, timeout, ^C), so no cluster outlives
		// its test. (It fires when the forking OS thread ends, which the Go
		// runtime only does for goroutines that exit while locked to their
		// thread.) Setpgid lets stop reach the children kwok spawns for exec.
		Pdeathsig: syscall.SIGKILL,
		Setpgid:   true,
	}
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("start %s (%s): %w", name, bin, err)
	}
	p := &process{name: name, bin: bin, args: args, env: env, cmd: cmd, logPath: logPath, log: f, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		_ = f.Close()
		close(p.done)
	}()
	return p, nil
}

// pid is the process id, also the id of its process group.
func (p *process) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended, and how.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// signal sends sig to the whole process group; errors mean it is gone already.
func (p *process) signal(sig syscall.Signal) {
	_ = syscall.Kill(-p.pid(), sig)
}

// stopProcesses stops procs one after the other, last started first, so
// clients go before the apiserver and the apiserver before etcd: stopped
// all at once, etcd and the apiserver wait on each other's open streams
// for minutes. Each gets SIGTERM and stopGrace to exit, then SIGKILL, and
// is always reaped, so no process outlives the call and no port stays bound.
// It returns the names of the processes that had to be killed.
func stopProcesses(procs []*process) (killed []string) {
	for i := len(procs) - 1; i >= 0; i-- {
		p := procs[i]
		p.signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(stopGrace):
			killed = append(killed, p.name)
			p.signal(syscall.SIGKILL)
			<-p.done
		}
		// The group may still hold an exec child of kwok.
		p.signal(syscall.SIGKILL)
	}
	return killed
}

// tail returns the last n lines of the process log.
func (p *process) tail(n int) string {
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("<read %s: %v>", p.logPath, err)
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// errExited describes a component that died while we waited for the cluster.
func (p *process) errExited() error {
	_, werr := p.exited()
	if werr == nil {
		werr = errors.New("exit status 0")
	}
	return fmt.Errorf("%s exited early (%w); last log lines:\n%s", p.name, werr, p.tail(20))
}
