package apigw

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
)

// Explained is what an explanation says of a failed invocation: the
// outcome, the sentence, and the field it is about.
type Explained struct {
	Outcome     exchange.Outcome
	Explanation string
	Blame       *exchange.Blame
}

// lambdaError is a function error payload as the runtimes write it: Node.js
// puts its stack in "trace", Python in "stackTrace" (strings), Go in
// "stackTrace" (objects).
type lambdaError struct {
	Type    string          `json:"errorType"`
	Message string          `json:"errorMessage"`
	Stack   json.RawMessage `json:"stackTrace"`
	Trace   []string        `json:"trace"`
}

// ExplainFunctionError classifies Lambda's error payload
// ({"errorType","errorMessage",...}) and says what happened, from the
// payload alone.
func ExplainFunctionError(payload []byte) (exchange.Outcome, string) {
	e := ExplainInvocation(Invocation{Kind: InvokeFunctionError, Payload: payload}, nil)
	return e.Outcome, e.Explanation
}

// ExplainInvocation explains a function error (inv.Kind is
// InvokeFunctionError) as well as what inv carries allows: the function's
// configuration names its Timeout and where the template sets it, the
// log's last lines say what the function printed before it was stopped or
// crashed, and the event (when known) shows a body the handler could not
// parse as JSON because it is base64 or a form.
func ExplainInvocation(inv Invocation, ev *EventFacts) Explained {
	var e lambdaError
	if err := json.Unmarshal(inv.Payload, &e); err != nil || (e.Type == "" && e.Message == "") {
		return Explained{Outcome: exchange.OutcomeFunctionError, Explanation: "Function returned an error: " + clip(string(inv.Payload), 200)}
	}
	fn := inv.Function
	duringInvoke := strings.HasPrefix(e.Message, "RequestId: ")
	msg := stripRequestID(e.Message)
	switch e.Type {
	case "Sandbox.Timedout":
		why := msg
		if t := timeoutSetting(fn); t != "" {
			why += ": " + t
		}
		why += ". Lambda stopped the function and discarded its environment, so the next call starts cold"
		return Explained{Outcome: exchange.OutcomeTimeout, Explanation: why + lastOutput(inv.Log, "before it was stopped")}
	case "Runtime.ExitError":
		if !duringInvoke {
			return Explained{Outcome: exchange.OutcomeFunctionError,
				Explanation: "The function could not start: its process exited while it initialised (" + strings.TrimPrefix(msg, "Runtime exited with error: ") + ")" +
					handlerNote(fn) + lastOutput(inv.Log, "")}
		}
		return Explained{Outcome: exchange.OutcomeFunctionError,
			Explanation: msg + " during the invocation, so Lambda discarded its environment" + lastOutput(inv.Log, "")}
	case "Function.ResponseSizeTooLarge":
		return Explained{Outcome: exchange.OutcomePayloadTooLarge, Explanation: "Lambda rejected the function's response: " + msg}
	}
	if hint := sdkHint(msg); hint != "" {
		// The module's name is in the first line; a require stack follows.
		msg, _, _ = strings.Cut(msg, "\n")
		return Explained{Outcome: exchange.OutcomeFunctionError,
			Explanation: "Function returned an error: " + e.Type + ": " + strings.TrimRight(msg, ". ") + ". " + hint}
	}
	if init := initFailure(e, msg, fn); init != "" {
		return Explained{Outcome: exchange.OutcomeFunctionError, Explanation: init}
	}
	why := "Function returned an error: " + msg
	if e.Type != "" {
		why = "Function returned an error: " + e.Type + ": " + firstLine(msg)
	}
	if f, ok := handlerFrame(e, fn); ok {
		why += " (at " + f + ")"
	}
	if ev != nil && jsonParseError(e, msg) {
		if hint, blame := ev.notJSON(fn); hint != "" {
			return Explained{Outcome: exchange.OutcomeFunctionError, Explanation: why + ". " + hint, Blame: blame}
		}
	}
	return Explained{Outcome: exchange.OutcomeFunctionError, Explanation: why}
}

// timeoutSetting names the function's Timeout and where it is set.
func timeoutSetting(fn *config.Function) string {
	if fn == nil {
		return ""
	}
	secs := fn.Timeout.Seconds()
	if fn.TimeoutAt == "" {
		return fmt.Sprintf("%s sets no Timeout, so it has Lambda's default of %g s (set Timeout in its Properties or in Globals.Function)", fn.Name, secs)
	}
	return fmt.Sprintf("%s's Timeout is %g s, set at %s", fn.Name, secs, fn.TimeoutAt)
}

// handlerNote names the handler that could not be loaded.
func handlerNote(fn *config.Function) string {
	if fn == nil || fn.Handler == "" {
		return ""
	}
	return fmt.Sprintf(" (%s's Handler is %s)", fn.Name, fn.Handler)
}

// initFailure explains the errors runtimes report when a function's code
// cannot be loaded: which module or handler, and why.
func initFailure(e lambdaError, msg string, fn *config.Function) string {
	msg = firstLine(msg)
	switch e.Type {
	case "Runtime.ImportModuleError":
		mod, cause := importedModule(msg)
		if mod == "" {
			return "The function could not start: a module could not be loaded: " + msg + handlerNote(fn)
		}
		s := fmt.Sprintf("The function could not start: module '%s' could not be loaded", mod)
		if cause != "" {
			s += ": " + cause
		}
		return s + handlerNote(fn)
	case "Runtime.HandlerNotFound":
		return "The function could not start: its handler was not found: " + msg + handlerNote(fn)
	case "Runtime.MalformedHandlerName":
		return "The function could not start: its Handler is not module.function: " + msg + handlerNote(fn)
	case "Runtime.UserCodeSyntaxError":
		s := "The function could not start: its code has a syntax error: " + strings.TrimPrefix(msg, "SyntaxError: ")
		if f, ok := handlerFrame(e, fn); ok {
			s += " (at " + f + ")"
		}
		return s
	case "Runtime.InvalidEntrypoint":
		return "The function could not start: its entry point cannot run: " + msg + handlerNote(fn)
	}
	return ""
}

var (
	// Python: "Unable to import module 'app': No module named 'requests'".
	pyImport = regexp.MustCompile(`^Unable to import module '([^']+)': (.*)$`)
	// Node.js: "Error: Cannot find module 'lodash'", "Cannot find package
	// 'x' imported from /srv/app/index.mjs".
	nodeImport = regexp.MustCompile(`Cannot find (?:module|package) '([^']+)'`)
)

// importedModule returns the module an import error names and its cause.
func importedModule(msg string) (mod, cause string) {
	if m := pyImport.FindStringSubmatch(msg); m != nil {
		return m[1], m[2]
	}
	if m := nodeImport.FindStringSubmatch(msg); m != nil {
		return m[1], "it is not installed or not where Node.js looks (" + strings.TrimPrefix(msg, "Error: ") + ")"
	}
	return "", ""
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// lastOutput quotes the last lines the function printed (not Lambda's own
// START, END, REPORT and error lines), which say what it was doing.
func lastOutput(log, when string) string {
	lines := FunctionOutputTail(log, 2)
	if len(lines) == 0 {
		return ""
	}
	for i, l := range lines {
		lines[i] = clip(l, 200)
	}
	s := ". Its last output"
	if when != "" {
		s += " " + when
	}
	return s + ": " + strings.Join(lines, " / ")
}

// FunctionOutputTail returns the last n lines a function printed in an
// invocation's log, leaving out Lambda's own lines (START, END, REPORT,
// INIT_*, the timeout and exit lines) and gatescope's notes.
func FunctionOutputTail(log string, n int) []string {
	var out []string
	for log != "" && len(out) < n {
		i := strings.LastIndexByte(strings.TrimRight(log, "\n"), '\n')
		line := strings.TrimRight(log[i+1:], "\r\n")
		log = log[:max(i, 0)]
		if i < 0 {
			log = ""
		}
		if platformLine(line) || strings.TrimSpace(line) == "" {
			continue
		}
		out = append(out, logPrefix.ReplaceAllString(line, ""))
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// platformLine reports whether a log line is Lambda's (or gatescope's)
// rather than the function's.
func platformLine(l string) bool {
	for _, p := range []string{"START RequestId", "END RequestId", "REPORT RequestId", "INIT_START", "INIT_REPORT",
		"EXTENSION", "RequestId: ", "[gatescope "} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	// Lambda's own timeout line: "2026-11-29T18:49:41.830Z <id> Task
	// timed out after 1.00 seconds", and the error type after an exit.
	return strings.Contains(l, "Task timed out after ") || runtimeErrorLine.MatchString(l)
}

var (
	runtimeErrorLine = regexp.MustCompile(`^Runtime\.[A-Za-z]+$`)
	// The prefixes the runtimes' loggers write before a line: Node.js'
	// console ("<time>\t<request id>\tINFO\t"), Python's logging
	// ("[INFO]\t<time>\t<request id>\t").
	logPrefix = regexp.MustCompile(`^(?:\[[A-Z]+\]\t)?\d{4}-\d\d-\d\dT[\d:.]+Z\t[0-9a-fA-F-]*\t(?:(?:INFO|ERROR|WARN|DEBUG|TRACE|FATAL)\t)?`)
)

var (
	// Node.js: "    at handler (file:///srv/app/index.mjs:12:20)", "    at /srv/app/index.js:3:9".
	nodeFrame = regexp.MustCompile(`^\s*at (?:(.*?) \()?(?:file://)?([^()\s]+):(\d+):(\d+)\)?\s*$`)
	// Python: `  File "/srv/app/app.py", line 10, in handler`.
	pyFrame = regexp.MustCompile(`File "([^"]+)", line (\d+), in (\S+)`)
)

// Frame is one frame of a function error's stack.
type Frame struct {
	File string
	Line int
	Func string
}

// StackFrames reads the frames of a stack as runtimes write it (Node.js'
// and Python's lines, aws-lambda-go's objects).
func StackFrames(lines []string) []Frame {
	var out []Frame
	for _, l := range lines {
		for _, part := range strings.Split(l, "\n") {
			if m := nodeFrame.FindStringSubmatch(part); m != nil {
				n, _ := strconv.Atoi(m[3])
				out = append(out, Frame{File: m[2], Line: n, Func: m[1]})
			} else if m := pyFrame.FindStringSubmatch(part); m != nil {
				n, _ := strconv.Atoi(m[2])
				out = append(out, Frame{File: m[1], Line: n, Func: m[3]})
			}
		}
	}
	return out
}

// RuntimeFrame reports whether a stack frame is the runtime's or a
// library's rather than the function's own code.
func RuntimeFrame(file string) bool {
	for _, s := range []string{"node:", "/node_modules/", "site-packages", "dist-packages", "/lib/python", "awslambdaric",
		"/var/runtime/", "github.com/aws/aws-lambda-go", "/usr/local/go/", "/runtime/", "<frozen "} {
		if strings.Contains(file, s) {
			return true
		}
	}
	base := filepath.Base(file)
	return base == "bootstrap.mjs" || base == "bootstrap.py" || base == "bootstrap.js"
}

// handlerFrame is the first frame of the function's own code, as
// file:line, relative to its code directory when it is inside.
func handlerFrame(e lambdaError, fn *config.Function) (string, bool) {
	lines := e.Trace
	var strs []string
	if json.Unmarshal(e.Stack, &strs) == nil && len(strs) > 0 {
		lines = strs
	}
	frames := StackFrames(lines)
	var objs []struct {
		Path  string `json:"path"`
		Line  int    `json:"line"`
		Label string `json:"label"`
	}
	if len(frames) == 0 && json.Unmarshal(e.Stack, &objs) == nil {
		for _, o := range objs {
			frames = append(frames, Frame{File: o.Path, Line: o.Line, Func: o.Label})
		}
	}
	for _, f := range frames {
		if f.File == "" || RuntimeFrame(f.File) {
			continue
		}
		file := f.File
		if fn != nil && fn.CodeDir != "" {
			if rel, err := filepath.Rel(fn.CodeDir, file); err == nil && !strings.HasPrefix(rel, "..") {
				file = rel
			}
		}
		return fmt.Sprintf("%s:%d", file, f.Line), true
	}
	return "", false
}

// jsonParseError reports whether an error is a JSON parser's: the
// handler parsed something that is not JSON.
func jsonParseError(e lambdaError, msg string) bool {
	switch {
	case e.Type == "SyntaxError" && strings.Contains(msg, "JSON"):
		return true // Node.js' JSON.parse
	case e.Type == "JSONDecodeError" || strings.Contains(msg, "Expecting value: line 1 column 1"):
		return true // Python's json.loads
	case strings.Contains(msg, "invalid character") && strings.Contains(msg, "looking for beginning of value"):
		return true // Go's encoding/json
	}
	return false
}

// EventFacts is what an event told the function of the request's body.
type EventFacts struct {
	// Base64 is the event's isBase64Encoded.
	Base64 bool
	// ContentType is the request's Content-Type.
	ContentType string
	// HasBody says whether the event carries a body.
	HasBody bool
}

// eventFacts says how the event built for req carries its body, by the
// rules the event builders follow.
func eventFacts(m *Match, req *Request) *EventFacts {
	ct := req.Header.Get("Content-Type")
	f := &EventFacts{ContentType: ct, HasBody: len(req.Body) > 0}
	if m.API.Type == config.RESTAPI && payloadVersion(m) != "2.0" {
		f.Base64 = f.HasBody && matchesBinary(ct, m.API.BinaryMediaTypes)
	} else {
		f.Base64 = f.HasBody && !textBodyV2(ct)
	}
	return f
}

// notJSON says why a body the handler parsed as JSON was not JSON, and
// blames the event's field that says so.
func (ev *EventFacts) notJSON(fn *config.Function) (string, *exchange.Blame) {
	if !ev.HasBody {
		return "", nil
	}
	mt := mediaType(ev.ContentType)
	node := fn == nil || strings.HasPrefix(fn.Runtime, "nodejs")
	py := fn != nil && strings.HasPrefix(fn.Runtime, "python")
	if ev.Base64 {
		what := "a " + mt + " body"
		if mt == "" {
			what = "a body without a Content-Type"
		}
		how := "decode it first"
		switch {
		case py:
			how = "decode it first: base64.b64decode(event['body'])"
		case node:
			how = "decode it first: Buffer.from(event.body, 'base64').toString()"
		}
		if mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data" {
			how += ", then parse the form (it is not JSON)"
		}
		return fmt.Sprintf("The event's body is base64 (isBase64Encoded: true: API Gateway encodes %s), so %s", what, how),
			&exchange.Blame{Part: exchange.BlameEvent, Path: []string{"isBase64Encoded"}}
	}
	if mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data" {
		how := "parse it as a form"
		switch {
		case py:
			how = "parse it with urllib.parse.parse_qs(event['body'])"
		case node:
			how = "parse it with new URLSearchParams(event.body)"
		}
		return fmt.Sprintf("The event's body is a form (%s), not JSON: %s", mt, how),
			&exchange.Blame{Part: exchange.BlameEvent, Path: []string{"body"}}
	}
	return "", nil
}
