package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// errHelp ends a command after printing its help: exit status 0.
var errHelp = errors.New("help")

// newFlags returns a FlagSet for a subcommand that prints its own usage.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gatescope %s\n\nFlags (each also read from GATESCOPE_<NAME>):\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, filling every flag not given on the command line from
// its GATESCOPE_* environment twin first.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil || len(f.Name) == 1 {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%w: %s=%q: %v", errUsage, envName(f.Name), v, e)
			}
		}
	})
	return err
}

// envName is a flag's environment twin: api-addr → GATESCOPE_API_ADDR.
func envName(flagName string) string {
	return "GATESCOPE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// defaultDB is where every command finds the database unless told.
const defaultDB = ".gatescope/gatescope.db"

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// splitList splits a repeatable flag's values at commas (its environment
// twin holds several that way), dropping empty ones.
func splitList(l stringList) []string {
	var out []string
	for _, v := range l {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// keyValues is a repeatable flag of KEY=VALUE pairs (also space separated,
// as SAM's --parameter-overrides takes them).
type keyValues map[string]string

func (kv keyValues) String() string {
	var parts []string
	for k, v := range kv {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " ")
}

func (kv keyValues) Set(s string) error {
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return fmt.Errorf("want KEY=VALUE, got %q", f)
		}
		kv[strings.TrimPrefix(k, "ParameterKey=")] = strings.TrimPrefix(v, "ParameterValue=")
	}
	return nil
}
