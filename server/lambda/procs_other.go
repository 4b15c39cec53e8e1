//go:build !linux

package lambda

import (
	"log/slog"
	"os/exec"
	"syscall"
)

// procTracker off Linux: a function process gets its own process group,
// and ending an environment kills that group. Processes that leave the
// group (setsid, a double fork) are not found, and nothing ends function
// processes when gatescope is killed: both need Linux's /proc, child
// subreapers and Pdeathsig.
type procTracker struct {
	ids *envIDs
}

func newProcTracker(*slog.Logger, string) *procTracker { return &procTracker{ids: newEnvIDs()} }

func (t *procTracker) start(cmd *exec.Cmd, _ string) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd.Start()
}

func (t *procTracker) await(cmd *exec.Cmd, kill func(), swept <-chan struct{}) error {
	err := cmd.Wait()
	kill() // children left behind in the group
	<-swept
	return err
}

func (t *procTracker) kill(_ string, pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }

func (t *procTracker) close() {}
