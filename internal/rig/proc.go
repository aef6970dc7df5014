package rig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ErrMissingComponent is wrapped by the errors of Start, StartDocker, StartRegistry and
// StartMoto when a program the rig needs is not installed on this machine.
var ErrMissingComponent = errors.New("rig component not installed")

// stopGrace is how long a process gets between SIGTERM and SIGKILL.
const stopGrace = 10 * time.Second

// debianPackage maps each program the rig runs to the Debian package that provides it.
var debianPackage = map[string]string{
	"dockerd":         "docker.io",
	"containerd":      "docker.io",
	"runc":            "docker.io",
	"docker-registry": "docker-registry",
	"htpasswd":        "apache2-utils",
}

// lookBin finds a program on PATH, or explains how to install it.
func lookBin(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err == nil {
		return p, nil
	}
	if name == "moto_server" {
		return "", fmt.Errorf("%w: moto_server not found on PATH: moto 5.2 (python package "+
			"moto[server]) must be preinstalled on this machine; it cannot be pip-installed "+
			"here because PyPI is unreachable: %v", ErrMissingComponent, err)
	}
	pkg := debianPackage[name]
	if pkg == "" {
		return "", fmt.Errorf("%w: %s not found on PATH: %v", ErrMissingComponent, name, err)
	}
	return "", fmt.Errorf("%w: %s not found on PATH: install the Debian package %s "+
		"(`make test` installs it, or run scripts/install-deps.sh, or "+
		"`apt-get install -y %s`): %v", ErrMissingComponent, name, pkg, pkg, err)
}

// proc is one child process in its own process group, its output going to a log file.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has been reaped
	waitErr error         // valid after done is closed
}

// startProc starts bin with args, stdout and stderr written to logPath (truncated first).
// env nil means the environment of this process.
func startProc(name, logPath string, env []string, bin string, args ...string) (*proc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log file for %s: %w", name, err)
	}
	defer logf.Close() // the child has its own copy of the descriptor
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Dir = filepath.Dir(logPath)
	// Own process group, so that stopping it also reaches its helpers; SIGTERM if the
	// test binary dies without cleaning up, so no daemon outlives it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s %s): %w", name, bin, strings.Join(args, " "), err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, then SIGKILL to the whole group after stopGrace. It returns an
// error only when the process could not be reaped at all.
func (p *proc) stop() error {
	if p == nil {
		return nil
	}
	pid := p.cmd.Process.Pid
	if !p.exited() {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(stopGrace):
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			select {
			case <-p.done:
			case <-time.After(5 * time.Second):
				return fmt.Errorf("stop %s (pid %d): still running after SIGKILL", p.name, pid)
			}
		}
	}
	// Whatever the leader left behind in its group goes too.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	return nil
}

// logTail returns the last lines of the process log, for error messages.
func (p *proc) logTail() string {
	return fileTail(p.logPath, 25, 4000)
}

// failure builds an error about the process, with its exit status and log tail.
func (p *proc) failure(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if p.exited() {
		msg += fmt.Sprintf(" (%s exited: %v)", p.name, p.waitErr)
	}
	return fmt.Errorf("%s; last lines of %s:\n%s", msg, p.logPath, p.logTail())
}

// fileTail returns at most maxLines lines and maxBytes bytes from the end of a file.
func fileTail(path string, maxLines, maxBytes int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > int64(maxBytes) {
		_, _ = f.Seek(st.Size()-int64(maxBytes), io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	b = bytes.TrimRight(b, "\n")
	lines := strings.Split(string(b), "\n")
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return "\t" + strings.Join(lines, "\n\t")
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port on 127.0.0.1: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
