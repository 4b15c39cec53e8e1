// Package testenv is what gatescope's tests share: a program the test needs
// (skipped on a developer machine that lacks it, a failure under CI=true,
// where .ci/run installs it), a headless Chromium and waiting on its pages,
// polling a condition with a deadline instead of sleeping, HTML queries
// (goquery) and golden files with -update. Only tests import it.
package testenv

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Need returns the path of program, or skips tb without it; under CI the
// missing program fails the test instead, so CI never skips.
func Need(tb testing.TB, program string) string {
	tb.Helper()
	path, err := exec.LookPath(program)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s is required under CI (.ci/run installs it): %v", program, err)
	}
	tb.Skipf("%s not installed: %v", program, err)
	return ""
}

// Browser starts a headless Chromium for tb and returns its first tab.
// The flags keep it off the network (this machine has none) and the profile
// is fresh. The context carries no timeout: one on the first action would
// end the browser; give each step its own. Extra options (such as a window
// size) are appended.
func Browser(tb testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	tb.Helper()
	path := "/usr/bin/chromium"
	if _, err := os.Stat(path); err != nil {
		path = Need(tb, "chromium")
	}
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(tb.TempDir()),
	}, extra...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tb.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(alloc)
	tb.Cleanup(cancelTab)
	if err := chromedp.Do(tab); err != nil {
		tb.Fatalf("start chromium: %v", err)
	}
	return tab
}

// WaitJS waits up to 15 s until the JavaScript expression is truthy in tab.
// It evaluates in a loop rather than with chromedp.Poll because a poll dies
// with its page, and some waits span a navigation. On failure it says where
// the page is and what it shows.
func WaitJS(tb testing.TB, tab context.Context, what, expr string) {
	tb.Helper()
	const within = 15 * time.Second
	deadline := time.Now().Add(within)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tab, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(20 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(tab, 2*time.Second)
	defer cancel()
	page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + " | " + document.body.innerText.slice(0, 400)`))
	tb.Fatalf("%s: still false after %v (last error: %v): %s\npage: %s", what, within, last, expr, page)
}

// Eventually polls cond every millisecond until it holds, failing tb if it
// still does not after within. Tests wait on a real condition this way
// instead of sleeping for a time that is usually long enough.
func Eventually(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not so after %v", what, within)
		}
		time.Sleep(time.Millisecond)
	}
}
