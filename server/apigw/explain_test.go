package apigw

import (
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/google/go-cmp/cmp"
)

// TestExplainInvocation holds each kind of failure to the explanation it
// gets from the payload, the function's configuration, its log and the
// event: payloads as Lambda and the runtimes write them (the end-to-end
// tests in cmd/gatescope make real functions fail each way).
func TestExplainInvocation(t *testing.T) {
	slow := &config.Function{Name: "Slow", Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: "/srv/app/slow",
		Timeout: time.Second, TimeoutAt: "template.yaml:14"}
	dflt := &config.Function{Name: "Dflt", Runtime: "python3.12", Handler: "app.handler", CodeDir: "/srv/app/py", Timeout: 3 * time.Second}
	const timeoutLog = "START RequestId: r1 Version: $LATEST\nconnecting to db\nwaiting on the pool\n" +
		"2026-11-29T18:49:41.830Z r1 Task timed out after 1.00 seconds\nEND RequestId: r1\nREPORT RequestId: r1\tDuration: 1000.00 ms\n"
	form := &EventFacts{Base64: true, ContentType: "application/x-www-form-urlencoded", HasBody: true}
	restForm := &EventFacts{ContentType: "application/x-www-form-urlencoded; charset=utf-8", HasBody: true}
	for _, tt := range []struct {
		name    string
		inv     Invocation
		ev      *EventFacts
		outcome exchange.Outcome
		want    string
		blame   *exchange.Blame
	}{
		{"timeout set in the template", Invocation{Payload: []byte(errTimeoutOne), Function: slow, Log: timeoutLog}, nil, exchange.OutcomeTimeout,
			"Task timed out after 1.00 seconds: Slow's Timeout is 1 s, set at template.yaml:14. Lambda stopped the function and discarded its environment, " +
				"so the next call starts cold. Its last output before it was stopped: connecting to db / waiting on the pool", nil},
		{"timeout by default", Invocation{Payload: []byte(errTimeout), Function: dflt}, nil, exchange.OutcomeTimeout,
			"Task timed out after 3.00 seconds: Dflt sets no Timeout, so it has Lambda's default of 3 s (set Timeout in its Properties or in Globals.Function). " +
				"Lambda stopped the function and discarded its environment, so the next call starts cold", nil},
		{"crash quotes its last output", Invocation{Payload: []byte(errExit),
			Log: "START RequestId: r2 Version: $LATEST\nfatal: connection pool exhausted, exiting\nRequestId: r2 Error: Runtime exited with error: exit status 3\nEND RequestId: r2\n"},
			nil, exchange.OutcomeFunctionError,
			"Runtime exited with error: exit status 3 during the invocation, so Lambda discarded its environment. Its last output: fatal: connection pool exhausted, exiting", nil},
		{"exit while starting", Invocation{Payload: []byte(`{"errorMessage":"Runtime exited with error: exit status 2","errorType":"Runtime.ExitError"}`), Function: slow,
			Log: "INIT_START Runtime Version: go\npanic: config missing\n\ngoroutine 1 [running]:\nmain.main()\n"},
			nil, exchange.OutcomeFunctionError,
			"The function could not start: its process exited while it initialised (exit status 2) (Slow's Handler is index.handler). Its last output: goroutine 1 [running]: / main.main()", nil},
		{"Python module missing", Invocation{Payload: []byte(`{"errorMessage":"Unable to import module 'app': No module named 'requests'","errorType":"Runtime.ImportModuleError","stackTrace":[]}`), Function: dflt},
			nil, exchange.OutcomeFunctionError,
			"The function could not start: module 'app' could not be loaded: No module named 'requests' (Dflt's Handler is app.handler)", nil},
		{"Node handler missing", Invocation{Payload: []byte(`{"errorType":"Runtime.HandlerNotFound","errorMessage":"index.handlr is undefined or not exported","trace":[]}`), Function: slow},
			nil, exchange.OutcomeFunctionError,
			"The function could not start: its handler was not found: index.handlr is undefined or not exported (Slow's Handler is index.handler)", nil},
		{"Node syntax error", Invocation{Payload: []byte(`{"errorType":"Runtime.UserCodeSyntaxError","errorMessage":"SyntaxError: Unexpected token ')'","trace":["Runtime.UserCodeSyntaxError: SyntaxError: Unexpected token ')'","    at load (file:///cache/bootstrap.mjs:199:11)","    at file:///srv/app/slow/index.mjs:3:14"]}`), Function: slow},
			nil, exchange.OutcomeFunctionError,
			"The function could not start: its code has a syntax error: Unexpected token ')' (at index.mjs:3)", nil},
		{"Node error: the handler's frame", Invocation{Payload: []byte(`{"errorType":"TypeError","errorMessage":"Cannot read properties of undefined (reading 'name')","trace":["TypeError: Cannot read properties of undefined (reading 'name')","    at greet (file:///srv/app/slow/lib/greet.mjs:4:21)","    at Runtime.handler (file:///srv/app/slow/index.mjs:12:10)","    at Runtime.run (file:///cache/bootstrap.mjs:80:5)"]}`), Function: slow},
			nil, exchange.OutcomeFunctionError,
			"Function returned an error: TypeError: Cannot read properties of undefined (reading 'name') (at lib/greet.mjs:4)", nil},
		{"Python error: the handler's frame", Invocation{Payload: []byte(`{"errorMessage":"division by zero","errorType":"ZeroDivisionError","stackTrace":["  File \"/usr/lib/python3/awslambdaric/bootstrap.py\", line 60, in handle\n    r = fn(e, c)\n","  File \"/srv/app/py/app.py\", line 7, in handler\n    return 1 / 0\n"]}`), Function: dflt},
			nil, exchange.OutcomeFunctionError,
			"Function returned an error: ZeroDivisionError: division by zero (at app.py:7)", nil},
		{"Go panic frames", Invocation{Payload: []byte(`{"errorMessage":"runtime error: index out of range [3] with length 0","errorType":"runtime.boundsError","stackTrace":[{"path":"github.com/aws/aws-lambda-go@v1.47.0/lambda/errors.go","line":39,"label":"lambdaPanicResponse"},{"path":"/srv/app/go/main.go","line":21,"label":"handler"}]}`)},
			nil, exchange.OutcomeFunctionError,
			"Function returned an error: runtime.boundsError: runtime error: index out of range [3] with length 0 (at /srv/app/go/main.go:21)", nil},
		{"a form post parsed as JSON (HTTP API)", Invocation{Payload: []byte(`{"errorType":"SyntaxError","errorMessage":"Unexpected token 'n', \"name=linus&x=1\" is not valid JSON","trace":["SyntaxError: Unexpected token 'n'","    at JSON.parse (<anonymous>)","    at Runtime.handler (file:///srv/app/slow/index.mjs:2:21)"]}`), Function: slow},
			form, exchange.OutcomeFunctionError,
			"Function returned an error: SyntaxError: Unexpected token 'n', \"name=linus&x=1\" is not valid JSON (at index.mjs:2). " +
				"The event's body is base64 (isBase64Encoded: true: API Gateway encodes a application/x-www-form-urlencoded body), so decode it first: " +
				"Buffer.from(event.body, 'base64').toString(), then parse the form (it is not JSON)",
			&exchange.Blame{Part: exchange.BlameEvent, Path: []string{"isBase64Encoded"}}},
		{"a binary body parsed as JSON in Python", Invocation{Payload: []byte(`{"errorMessage":"Expecting value: line 1 column 1 (char 0)","errorType":"JSONDecodeError","stackTrace":[]}`), Function: dflt},
			&EventFacts{Base64: true, ContentType: "image/png", HasBody: true}, exchange.OutcomeFunctionError,
			"Function returned an error: JSONDecodeError: Expecting value: line 1 column 1 (char 0). " +
				"The event's body is base64 (isBase64Encoded: true: API Gateway encodes a image/png body), so decode it first: base64.b64decode(event['body'])",
			&exchange.Blame{Part: exchange.BlameEvent, Path: []string{"isBase64Encoded"}}},
		{"a REST form post (not base64) parsed as JSON", Invocation{Payload: []byte(`{"errorMessage":"Expecting value: line 1 column 1 (char 0)","errorType":"JSONDecodeError"}`), Function: dflt},
			restForm, exchange.OutcomeFunctionError,
			"Function returned an error: JSONDecodeError: Expecting value: line 1 column 1 (char 0). " +
				"The event's body is a form (application/x-www-form-urlencoded), not JSON: parse it with urllib.parse.parse_qs(event['body'])",
			&exchange.Blame{Part: exchange.BlameEvent, Path: []string{"body"}}},
		{"a JSON body that failed otherwise blames nothing", Invocation{Payload: []byte(`{"errorType":"SyntaxError","errorMessage":"Unexpected end of JSON input"}`)},
			&EventFacts{ContentType: "application/json", HasBody: true}, exchange.OutcomeFunctionError,
			"Function returned an error: SyntaxError: Unexpected end of JSON input", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.inv.Kind = InvokeFunctionError
			got := ExplainInvocation(tt.inv, tt.ev)
			want := Explained{Outcome: tt.outcome, Explanation: tt.want, Blame: tt.blame}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

const errTimeoutOne = `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: 0a1b Error: Task timed out after 1.00 seconds"}`

func TestFunctionOutputTail(t *testing.T) {
	log := "START RequestId: a\nINIT_START x\none\n\ntwo\nthree\n[gatescope cut 10 bytes]\nEND RequestId: a\nREPORT RequestId: a\n"
	if d := cmp.Diff([]string{"two", "three"}, FunctionOutputTail(log, 2)); d != "" {
		t.Error(d)
	}
	node := "2026-11-29T23:05:24.887Z\t080e9303-660b-4f3c-80fe-7ccd87795d54\tERROR\tfatal: pool\nRuntime.ExitError\n"
	if d := cmp.Diff([]string{"fatal: pool"}, FunctionOutputTail(node, 2)); d != "" {
		t.Error(d)
	}
	py := "[WARNING]\t2026-11-29T23:05:24.887Z\tabc-1\tslow db\n"
	if d := cmp.Diff([]string{"slow db"}, FunctionOutputTail(py, 2)); d != "" {
		t.Error(d)
	}
	if got := FunctionOutputTail("only\n", 5); len(got) != 1 || got[0] != "only" {
		t.Errorf("%q", got)
	}
	if got := FunctionOutputTail("", 5); got != nil {
		t.Errorf("%q", got)
	}
}
