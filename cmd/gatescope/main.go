// Command gatescope serves AWS SAM apps locally as Amazon API Gateway and
// AWS Lambda would, and records every exchange for inspection and replay.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `gatescope: a local API Gateway + Lambda emulator with a live traffic inspector

Usage:
  gatescope <command> [flags]

Commands:
  serve    serve the SAM app in this folder (or the built-in demo) and the dashboard
  check    print what serve would serve, and what it does not emulate (exit 1 if anything)
  invoke   invoke one function with an event and print its response
  replay   replay a captured exchange or session and report what changed
  export   export a session as HAR 1.2, native JSON or a share file (HTML)
  import   import a HAR, a native JSON export or a share file into a session
  token    print a JWT for JWT and Cognito authorizers, signed by the local issuer
  version  print the version

Run 'gatescope <command> --help' for a command's flags. Every flag can also
be set in the environment as GATESCOPE_<FLAG>, e.g. GATESCOPE_API_ADDR.
`

// errUsage marks errors that are the caller's: exit status 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, args[1:], stdout, stderr)
	case "check":
		return runCheck(ctx, args[1:], stdout, stderr)
	case "invoke":
		err = runInvoke(ctx, args[1:], stdin, stdout, stderr)
	case "replay":
		return runReplay(ctx, args[1:], stdout, stderr)
	case "export":
		err = runExport(ctx, args[1:], stdout, stderr)
	case "import":
		err = runImport(ctx, args[1:], stdout, stderr)
	case "token":
		err = runToken(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "gatescope", version())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "gatescope: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "gatescope:", err)
		return 2
	case errors.Is(err, errSilent):
		return 1
	default:
		fmt.Fprintln(stderr, "gatescope:", err)
		return 1
	}
}

// errSilent ends a command with status 1 after it printed its own message.
var errSilent = errors.New("failed")
