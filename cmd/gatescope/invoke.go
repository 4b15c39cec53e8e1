package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gatescope/gatescope/server/lambda"
)

// runInvoke invokes one function once, like `sam local invoke`: the
// response on stdout, the log on stderr, status 1 on a function error.
func runInvoke(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("invoke", "invoke FUNCTION [--event FILE|-] [--template FILE]", stderr)
	var template, event, region, logLevel, cacheDir string
	fs.StringVar(&template, "template", "", "SAM template `FILE` (default ./template.yaml or ./template.yml)")
	fs.StringVar(&template, "t", "", "shorthand for --template")
	fs.StringVar(&event, "event", "", "event `FILE`, or - for standard input (default: {})")
	fs.StringVar(&event, "e", "", "shorthand for --event")
	fs.StringVar(&region, "region", "", "AWS region the function sees")
	fs.StringVar(&logLevel, "log-level", "warn", "log level")
	fs.StringVar(&cacheDir, "cache-dir", "", "build and runtime cache directory")
	params := keyValues{}
	fs.Var(params, "parameter-overrides", "template parameters as `KEY=VALUE`")
	var envVars string
	fs.StringVar(&envVars, "env-vars", "", "environment variable overrides `FILE` in SAM CLI's JSON format")
	// Go's flag package stops at the first non-flag; accept the function
	// name before or after the flags.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if name == "" {
		fs.Usage()
		return fmt.Errorf("%w: invoke needs a FUNCTION", errUsage)
	}
	logger, err := newLogger(stderr, logLevel)
	if err != nil {
		return err
	}
	payload := []byte("{}")
	switch event {
	case "":
	case "-":
		if payload, err = io.ReadAll(stdin); err != nil {
			return fmt.Errorf("read event from stdin: %w", err)
		}
	default:
		if payload, err = os.ReadFile(event); err != nil {
			return fmt.Errorf("read event: %w", err)
		}
	}
	path, err := templatePath(serveFlags{template: template})
	if err != nil {
		return err
	}
	project, err := loadProject(path, region, params, envVars)
	if err != nil {
		return err
	}
	m := lambda.New(logger, project, lambda.Options{CacheDir: cacheDir})
	defer m.Close()
	res, err := m.Invoke(ctx, name, lambda.Request{Payload: payload})
	if err != nil {
		return err
	}
	fmt.Fprint(stderr, res.Log)
	stdout.Write(res.Payload)
	fmt.Fprintln(stdout)
	if res.FunctionError != "" {
		return errSilent
	}
	return nil
}
