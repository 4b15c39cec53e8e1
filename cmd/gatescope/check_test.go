package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCheckArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), append([]string{"check"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestCheckListsEveryNotEmulatedFeature: check --json on a template that
// uses every feature gatescope does not emulate yet lists each one at its
// line (the template marks each such line), and nothing else; exit 1.
func TestCheckListsEveryNotEmulatedFeature(t *testing.T) {
	const path = "testdata/notemulated/template.yaml"
	code, out, errOut := runCheckArgs(t, "--json", "--template", path)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr: %s", code, errOut)
	}
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("check --json printed no JSON object: %v\n%s", err, out)
	}
	// line → the word its entries must contain
	want := map[int]string{}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for ln := 1; sc.Scan(); ln++ {
		if _, word, ok := strings.Cut(sc.Text(), "# not-emulated: "); ok {
			want[ln] = word
		}
	}
	listed := map[int]bool{}
	for _, n := range rep.NotEmulated {
		word, ok := want[n.Line]
		switch {
		case !ok:
			t.Errorf("listed at an unmarked line: %+v", n)
		case !strings.Contains(n.Message, word) && !strings.Contains(n.Property, word):
			t.Errorf("line %d listed as %q, want it to mention %q", n.Line, n.Message, word)
		case n.File != path || n.Resource == "":
			t.Errorf("line %d names file %q, resource %q", n.Line, n.File, n.Resource)
		}
		listed[n.Line] = true
	}
	for ln, word := range want {
		if !listed[ln] {
			t.Errorf("line %d (%s) is not listed", ln, word)
		}
	}
	if len(want) < 15 { // fewer as more becomes emulated; none would mean the markers are gone
		t.Fatalf("only %d marked lines: the template lost its markers", len(want))
	}
	// What is served is still served, with its authorizer named (and the
	// WebSocket API, which declares no routes).
	if len(rep.APIs) != 2 || len(rep.APIs[0].Routes) != 1 || rep.APIs[1].Type != "websocket" {
		t.Fatalf("apis = %+v, want the REST API with its one proxy route and the WebSocket API", rep.APIs)
	}
	r := rep.APIs[0].Routes[0]
	if r.RouteKey != "GET /hello" || r.Function != "Hello" || r.Integration != "proxy" || r.Authorizer == nil || *r.Authorizer != "TokenAuth" {
		t.Errorf("route = %+v", r)
	}
}

// TestCheckServedTemplate: a template that is fully emulated exits 0 and
// prints the shapes DESIGN.md fixes; text output says the same.
func TestCheckServedTemplate(t *testing.T) {
	code, out, errOut := runCheckArgs(t, "--json", "-t", "testdata/twoapis/template.yaml", "--api-addr", "127.0.0.1:4567")
	if code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, errOut)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"apis", "functions", "notEmulated", "warnings"} {
		if _, ok := raw[k].([]any); !ok {
			t.Errorf("%s is %v, want a list (never null)", k, raw[k])
		}
	}
	var rep checkReport
	json.Unmarshal([]byte(out), &rep)
	want := []checkAPI{
		{ID: "Orders", Type: "http", Stage: "$default", BaseURL: "http://orders.localhost:4567", Routes: []checkRoute{
			{RouteKey: "GET /orders/{id}", Function: "OrdersFn", Integration: "proxy"},
			{RouteKey: "$default", Function: "OrdersFn", Integration: "proxy"}}},
		{ID: "Users", Type: "http", Stage: "v2", BaseURL: "http://users.localhost:4567/v2", Routes: []checkRoute{
			{RouteKey: "GET /users/{id}", Function: "UsersFn", Integration: "proxy"},
			{RouteKey: "ANY /{proxy+}", Function: "UsersFn", Integration: "proxy"},
			{RouteKey: "GET /orders/{id}", Function: "UsersFn", Integration: "proxy"}}},
	}
	got, _ := json.Marshal(rep.APIs)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(got, wantJSON) {
		t.Errorf("apis\n got %s\nwant %s", got, wantJSON)
	}
	abs, _ := filepath.Abs("testdata/echo")
	if len(rep.Functions) != 2 || rep.Functions[0] != (checkFunction{Name: "OrdersFn", Runtime: "nodejs20.x", CodeDir: abs, Local: true}) {
		t.Errorf("functions = %+v", rep.Functions)
	}

	code, out, _ = runCheckArgs(t, "-t", "testdata/twoapis/template.yaml")
	if code != 0 || !strings.Contains(out, "http://users.localhost:3000/v2") || !strings.Contains(out, "Everything the template declares is emulated.") {
		t.Errorf("text output (exit %d):\n%s", code, out)
	}
}

func TestCheckCannotLoad(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "template.yaml")
	os.WriteFile(bad, []byte("Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: nodejs20.x}\n"), 0o644)
	for _, args := range [][]string{{"--json", "-t", bad}, {"-t", "testdata/nope.yaml"}, {"--bogus"}} {
		code, out, errOut := runCheckArgs(t, args...)
		if code != 2 || out != "" || errOut == "" {
			t.Errorf("check %v: exit %d, stdout %q, stderr %q; want 2, nothing, a reason", args, code, out, errOut)
		}
	}
}

// TestCheckFlagsHaveEnvTwins: like serve's, every check flag reads its
// GATESCOPE_* twin.
func TestCheckFlagsHaveEnvTwins(t *testing.T) {
	f := checkFlags{params: keyValues{}}
	fs := newFlags("check", "check", io.Discard)
	f.register(fs)
	values := map[string]string{"template": "t.yaml", "json": "true", "api-addr": "127.0.0.1:4000",
		"region": "eu-west-1", "env-vars": "env.json", "parameter-overrides": "Stage=dev"}
	fs.VisitAll(func(fl *flag.Flag) {
		if _, ok := values[fl.Name]; !ok && len(fl.Name) > 1 {
			t.Errorf("flag --%s has no test value: add it to this table", fl.Name)
		}
	})
	for name, v := range values {
		t.Setenv(envName(name), v)
	}
	if err := parse(fs, nil); err != nil {
		t.Fatal(err)
	}
	fs.VisitAll(func(fl *flag.Flag) {
		if want, ok := values[fl.Name]; ok && fl.Value.String() != want {
			t.Errorf("%s=%q gave --%s %q", envName(fl.Name), want, fl.Name, fl.Value.String())
		}
	})
}
