package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

// TestEveryFlagHasAnEnvTwin sets each long flag of serve through its
// GATESCOPE_* variable and checks the value arrives.
func TestEveryFlagHasAnEnvTwin(t *testing.T) {
	f := serveFlags{params: keyValues{}}
	fs := newFlags("serve", "serve", io.Discard)
	f.register(fs)
	values := map[string]string{
		"template": "t.yaml", "config": "c.yaml", "api-addr": "127.0.0.1:4000", "ui-addr": "127.0.0.1:4001",
		"db": "x.db", "session": "bug-1", "region": "eu-west-1", "token": "secret", "log-level": "debug",
		"cache-dir": "/tmp/c", "retain": "5", "retain-for": "1h0m0s", "idle-timeout": "1m0s", "parameter-overrides": "Stage=dev",
		"body-cap": "4096", "capture": "false", "watch": "false", "max-environments": "3", "allowed-host": "dash.example,box.lan:8080", "body-timeout": "30s", "env-vars": "env.json", "xray-addr": "127.0.0.1:2000",
		"jwks": "https://issuer.example.com=keys.json,*=local", "api-key": "k1,k2", "iam-credential": "AKIAX=secret", "issuer-key": "k.json",
	}
	fs.VisitAll(func(fl *flag.Flag) {
		if len(fl.Name) == 1 {
			return // shorthands share their long flag's variable
		}
		if _, ok := values[fl.Name]; !ok {
			t.Errorf("flag --%s has no test value: add it to this table", fl.Name)
		}
	})
	for name, v := range values {
		t.Setenv(envName(name), v)
	}
	if err := parse(fs, nil); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	fs.VisitAll(func(fl *flag.Flag) { got[fl.Name] = fl.Value.String() })
	for name, want := range values {
		if got[name] != want {
			t.Errorf("%s=%q gave --%s %q", envName(name), want, name, got[name])
		}
	}
	if f.retainFor != time.Hour || f.params["Stage"] != "dev" || f.bodyTimeout != 30*time.Second || f.maxEnvironments != 3 ||
		strings.Join(splitList(f.allowedHosts), " ") != "dash.example box.lan:8080" {
		t.Errorf("typed values: retainFor %v params %v bodyTimeout %v allowedHosts %q", f.retainFor, f.params, f.bodyTimeout, f.allowedHosts)
	}
}

// TestCommandLineBeatsEnvironment: an explicit flag wins over its twin.
func TestCommandLineBeatsEnvironment(t *testing.T) {
	f := serveFlags{params: keyValues{}}
	fs := newFlags("serve", "serve", io.Discard)
	f.register(fs)
	t.Setenv("GATESCOPE_API_ADDR", "127.0.0.1:9999")
	if err := parse(fs, []string{"--api-addr", "127.0.0.1:1234"}); err != nil {
		t.Fatal(err)
	}
	if f.apiAddr != "127.0.0.1:1234" {
		t.Errorf("api addr %q", f.apiAddr)
	}
	t.Setenv("GATESCOPE_RETAIN", "lots")
	if err := parse(fs, nil); err == nil {
		t.Error("a bad environment value must be a usage error naming the variable")
	}
}
