package lambdaapi

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/lambda"
)

// The control plane's reads, with the field names aws-sdk-go-v2's
// service/lambda (and the AWS CLI) decode. Only local functions are this
// Lambda service's: a remote function lives in AWS, which answers for it.

// GetAccountSettings serves GET /2016-08-19/account-settings/: AWS's
// default quotas, and what the local functions use.
func (a *API) GetAccountSettings(w http.ResponseWriter, r *http.Request) {
	var size int64
	count, reserved := 0, 0
	for _, fn := range a.local() {
		count++
		if fn.ReservedConcurrency != nil {
			reserved += *fn.ReservedConcurrency
		}
		size += codeStat(a.svc.Code(fn.Name).Dir).size
	}
	type limit struct {
		CodeSizeUnzipped               int64
		CodeSizeZipped                 int64
		ConcurrentExecutions           int
		TotalCodeSize                  int64
		UnreservedConcurrentExecutions int
	}
	type usage struct {
		FunctionCount int
		TotalCodeSize int64
	}
	writeJSON(w, struct {
		AccountLimit limit
		AccountUsage usage
	}{
		limit{config.CodeSizeUnzipped, config.CodeSizeZipped, config.AccountConcurrency, config.TotalCodeSize,
			max(config.AccountConcurrency-reserved, 0)},
		usage{count, size},
	})
}

// ListFunctions serves GET /2015-03-31/functions/, 50 functions a page
// (MaxItems asks for fewer), continued from Marker.
func (a *API) ListFunctions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page := 50
	if s := q.Get("MaxItems"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			writeError(w, invalidParameter("MaxItems must be a number from 1 to 10000, got %q", s))
			return
		}
		page = min(n, page)
	}
	fns := a.local()
	from := 0
	if s := q.Get("Marker"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > len(fns) {
			writeError(w, invalidParameter("Marker %q is not one ListFunctions returned", s))
			return
		}
		from = n
	}
	out := struct {
		Functions  []functionConfiguration
		NextMarker string `json:",omitempty"`
	}{Functions: []functionConfiguration{}}
	for _, fn := range fns[from:min(from+page, len(fns))] {
		out.Functions = append(out.Functions, a.configuration(fn, ""))
	}
	if from+page < len(fns) {
		out.NextMarker = strconv.Itoa(from + page)
	}
	writeJSON(w, out)
}

// GetFunction serves GET /2015-03-31/functions/{name}.
func (a *API) GetFunction(w http.ResponseWriter, r *http.Request) {
	fn, qualifier, ok := a.find(w, r)
	if !ok {
		return
	}
	type concurrency struct{ ReservedConcurrentExecutions int }
	out := struct {
		Configuration functionConfiguration
		Code          codeLocation
		Concurrency   *concurrency `json:",omitempty"`
	}{Configuration: a.configuration(fn, qualifier)}
	if c := a.svc.Code(fn.Name); c.Dir != "" {
		// No presigned S3 URL: the code is on this machine, here.
		out.Code = codeLocation{Location: "file://" + filepath.ToSlash(c.Dir)}
	}
	if fn.ReservedConcurrency != nil {
		out.Concurrency = &concurrency{*fn.ReservedConcurrency}
	}
	writeJSON(w, out)
}

// GetFunctionConfiguration serves GET /2015-03-31/functions/{name}/configuration.
func (a *API) GetFunctionConfiguration(w http.ResponseWriter, r *http.Request) {
	fn, qualifier, ok := a.find(w, r)
	if !ok {
		return
	}
	writeJSON(w, a.configuration(fn, qualifier))
}

// find is the local function the request's path names (a name, an ARN, or
// either with a :qualifier), with its qualifier (also taken from
// ?Qualifier=). It answers ResourceNotFoundException itself when there is
// none. Every qualifier runs the current code locally, as an alias does.
func (a *API) find(w http.ResponseWriter, r *http.Request) (*config.Function, string, bool) {
	w.Header().Set("X-Amzn-Requestid", newRequestID())
	raw := r.PathValue("name")
	name, qualifier := functionName(raw), r.URL.Query().Get("Qualifier")
	if parts := strings.Split(raw, ":"); len(parts) >= 8 && parts[0] == "arn" {
		qualifier = parts[7]
	} else if n, q, ok := strings.Cut(name, ":"); ok && !strings.HasPrefix(raw, "arn:") {
		name, qualifier = n, q
	}
	fn := a.svc.Function(name)
	if fn == nil || fn.Remote() {
		writeError(w, notFound(raw))
		return nil, "", false
	}
	return fn, qualifier, true
}

// local lists the functions this Lambda service runs.
func (a *API) local() []*config.Function {
	var out []*config.Function
	for _, fn := range a.svc.Functions() {
		if !fn.Remote() {
			out = append(out, fn)
		}
	}
	return out
}

type functionConfiguration struct {
	FunctionName               string
	FunctionArn                string
	Runtime                    string
	Handler                    string
	CodeSize                   int64
	Description                string
	Timeout                    int
	MemorySize                 int
	LastModified               string
	CodeSha256                 string
	Version                    string
	Environment                *environment `json:",omitempty"`
	TracingConfig              struct{ Mode string }
	RevisionId                 string
	Layers                     []layer `json:",omitempty"`
	State                      lambda.State
	StateReason                string `json:",omitempty"`
	StateReasonCode            string `json:",omitempty"`
	LastUpdateStatus           string
	LastUpdateStatusReason     string `json:",omitempty"`
	LastUpdateStatusReasonCode string `json:",omitempty"`
	PackageType                string
	Architectures              []string
	EphemeralStorage           struct{ Size int }
	SnapStart                  struct{ ApplyOn, OptimizationStatus string }
	LoggingConfig              struct{ LogFormat, LogGroup string }
}

type environment struct {
	Variables map[string]string
}

type layer struct {
	Arn      string
	CodeSize int64
}

type codeLocation struct {
	Location string `json:",omitempty"`
}

// configuration is fn's FunctionConfiguration. Its state is the state of
// gatescope's preparation: Pending while it builds, Failed with the build's
// error, Inactive until something first needs it.
func (a *API) configuration(fn *config.Function, qualifier string) functionConfiguration {
	code := a.svc.Code(fn.Name)
	stat := codeStat(code.Dir)
	name := fn.FunctionName
	if name == "" {
		name = fn.Name
	}
	c := functionConfiguration{
		FunctionName:     name,
		FunctionArn:      a.svc.ARN(fn),
		Runtime:          fn.Runtime,
		Handler:          fn.Handler,
		CodeSize:         stat.size,
		Description:      fn.Description,
		Timeout:          int(fn.Timeout / time.Second),
		MemorySize:       fn.MemoryMB,
		CodeSha256:       stat.sha,
		Version:          "$LATEST",
		State:            code.State,
		LastUpdateStatus: "Successful",
		PackageType:      "Zip",
		Architectures:    []string{fn.Architecture},
	}
	if qualifier != "" {
		c.FunctionArn += ":" + qualifier
	}
	updated := code.Updated
	if updated.IsZero() {
		updated = a.started
	}
	c.LastModified = updated.UTC().Format("2006-01-02T15:04:05.000-0700")
	if len(fn.Env) > 0 {
		c.Environment = &environment{Variables: fn.Env}
	}
	c.TracingConfig.Mode = "PassThrough"
	c.RevisionId = revisionID(c.CodeSha256, c.LastModified)
	for i, l := range fn.Layers {
		var dir string
		if i < len(code.LayerDirs) {
			dir = code.LayerDirs[i]
		}
		c.Layers = append(c.Layers, layer{Arn: l.ARN, CodeSize: codeStat(dir).size})
	}
	switch code.State {
	case lambda.StatePending:
		c.StateReason, c.StateReasonCode = "The function is being created.", "Creating"
		c.LastUpdateStatus = "InProgress"
	case lambda.StateFailed:
		c.StateReason, c.StateReasonCode = code.Err.Error(), "InvalidConfiguration"
		c.LastUpdateStatus, c.LastUpdateStatusReason, c.LastUpdateStatusReasonCode = "Failed", code.Err.Error(), "InvalidConfiguration"
	}
	c.EphemeralStorage.Size = config.DefaultEphemeralMB
	c.SnapStart.ApplyOn, c.SnapStart.OptimizationStatus = "None", "Off"
	c.LoggingConfig.LogFormat, c.LoggingConfig.LogGroup = "Text", "/aws/lambda/"+name
	return c
}

type stat struct {
	size int64
	sha  string
}

// codeStat is the size of the code in dir and a digest that changes
// whenever it does (over names, sizes, modes and modification times: the
// deployment package whose SHA-256 Lambda reports does not exist locally).
// A walk of stat calls, cheap enough to run per request.
func codeStat(dir string) stat {
	if dir == "" {
		return stat{}
	}
	h := sha256.New()
	var size int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable entries count as nothing
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".aws-sam") {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		size += info.Size()
		fmt.Fprintf(h, "%s\x00%d\x00%o\x00%d\n", rel, info.Size(), info.Mode().Perm(), info.ModTime().UnixNano())
		return nil
	})
	return stat{size: size, sha: base64.StdEncoding.EncodeToString(h.Sum(nil))}
}

// revisionID is a UUID-shaped id that changes with the code and its update.
func revisionID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		io.WriteString(h, p+"\x00")
	}
	b := h.Sum(nil)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func invalidParameter(format string, args ...any) *lambda.ServiceError {
	return &lambda.ServiceError{Type: "InvalidParameterValueException", Status: 400, Message: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, v any) { writeJSONStatus(w, http.StatusOK, v) }

// writeJSONStatus answers v as the Lambda service does, with a request id.
func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, &lambda.ServiceError{Type: "ServiceException", Status: 500, Message: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if w.Header().Get("X-Amzn-Requestid") == "" {
		w.Header().Set("X-Amzn-Requestid", newRequestID())
	}
	w.WriteHeader(status)
	w.Write(b)
}
