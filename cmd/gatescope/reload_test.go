package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/gatescope/gatescope/store"
)

// Hot reload end to end, by the real serve wiring with its watcher: edits
// to a Node.js, a Python and a Go handler, syntax errors in each, and
// template edits, while the other functions stay warm and every exchange
// is kept.

// reloadTemplate declares the three functions, and more routes.
func reloadTemplate(extra string) string {
	return `Transform: AWS::Serverless-2016-10-31
Resources:
  NodeFn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: node/
      Handler: index.handler
      Runtime: nodejs20.x
      Events:
        Get: {Type: HttpApi, Properties: {Path: /node, Method: GET}}
` + extra + `  PyFn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: py/
      Handler: app.handler
      Runtime: python3.12
      Events:
        Get: {Type: HttpApi, Properties: {Path: /py, Method: GET}}
  GoFn:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: go1.x
    Properties:
      CodeUri: go/
      Handler: bootstrap
      Runtime: provided.al2023
      Timeout: 10
      Events:
        Get: {Type: HttpApi, Properties: {Path: /go, Method: GET}}
`
}

func nodeSource(v string) string {
	return fmt.Sprintf("exports.handler = async () => ({statusCode: 200, body: 'node %s'});\n", v)
}

func pySource(v string) string {
	return fmt.Sprintf("def handler(event, context):\n    return {'statusCode': 200, 'body': 'py %s'}\n", v)
}

// goSource is a provided.al2023 function with a runtime client of its
// own, so its module needs nothing from the network.
func goSource(v string) string {
	return `package main

import (
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	api := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	for {
		resp, err := http.Get(api + "next")
		if err != nil {
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		r, err := http.Post(api+id+"/response", "application/json", strings.NewReader(` + "`" + `{"statusCode":200,"body":"go ` + v + `"}` + "`" + `))
		if err == nil {
			r.Body.Close()
		}
	}
}
`
}

// reloadClient sends requests and counts them, each with its own query so
// its exchange can be found.
type reloadClient struct {
	t    *testing.T
	a    *app
	sent atomic.Int64
}

func (c *reloadClient) get(path string) (int, string, string) {
	c.t.Helper()
	url := fmt.Sprintf("%s?n=%d", path, c.sent.Add(1))
	resp, err := http.Get("http://" + c.a.apiLn.Addr().String() + url)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), url
}

// until sends GET path until it answers want, and returns its exchange.
func (c *reloadClient) until(path, want string, within time.Duration) *exchange.Exchange {
	c.t.Helper()
	var url string
	testenv.Eventually(c.t, within, path+" answering "+want, func() bool {
		var body string
		_, body, url = c.get(path)
		return body == want
	})
	return waitStored(c.t, "http://"+c.a.uiLn.Addr().String(), url)
}

// warm sends GET path and checks it answered want from a warm environment
// (no Init Duration in its REPORT).
func (c *reloadClient) warm(path, want string) {
	c.t.Helper()
	code, body, url := c.get(path)
	x := waitStored(c.t, "http://"+c.a.uiLn.Addr().String(), url)
	if code != 200 || body != want || x.Function.Cold || strings.Contains(x.Logs, "Init Duration") {
		c.t.Errorf("%s: %d %q cold %v, want %q from a warm environment\n%s", path, code, body, x.Function.Cold, want, x.Logs)
	}
}

// deployment waits for a deployment after the one numbered after to end
// with status, and returns it.
func deploymentAfter(t *testing.T, a *app, after int64, status string) *exchange.Deployment {
	t.Helper()
	var d *exchange.Deployment
	testenv.Eventually(t, 2*time.Minute, "a deployment "+status, func() bool {
		ds, err := a.store.Deployments(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range ds {
			if x.ID > after && x.Status == status {
				d = x
				return true
			}
		}
		return false
	})
	return d
}

func TestReload(t *testing.T) {
	testenv.Need(t, "node")
	testenv.Need(t, "go")
	py := localPython(t)
	dir := writeTree(t, map[string]string{
		"template.yaml": strings.Replace(reloadTemplate(""), "python3.12", py, 1),
		"node/index.js": nodeSource("v1"),
		"py/app.py":     pySource("v1"),
		"go/go.mod":     "module fn\n\ngo 1.22\n",
		"go/main.go":    goSource("v1"),
	})
	a, _ := startAppWith(t, func(f *serveFlags) {
		f.template, f.session, f.watch = filepath.Join(dir, "template.yaml"), "reload", true
	})
	c := &reloadClient{t: t, a: a}
	start := a.start.ID
	for _, r := range []string{"node", "py", "go"} {
		if _, body, _ := c.get("/" + r); body != r+" v1" {
			t.Fatalf("/%s: %q", r, body)
		}
	}

	files := map[string]string{"node": "node/index.js", "py": "py/app.py", "go": "go/main.go"}
	source := map[string]func(string) string{"node": nodeSource, "py": pySource, "go": goSource}
	within := map[string]time.Duration{"node": 10 * time.Second, "py": 10 * time.Second, "go": 2 * time.Minute}
	last := start
	for _, r := range []string{"node", "py", "go"} {
		t.Run("edit "+r, func(t *testing.T) {
			c.t = t
			write(t, filepath.Join(dir, files[r]), source[r]("v2"))
			x := c.until("/"+r, r+" v2", within[r])
			if x.Deployment <= last || !x.Function.Cold || !strings.Contains(x.Logs, "Init Duration") || x.Function.Version == "" {
				t.Errorf("the first answer of the new code: deployment %d (after %d), cold %v, version %q\n%s",
					x.Deployment, last, x.Function.Cold, x.Function.Version, x.Logs)
			}
			last = x.Deployment
			for _, other := range []string{"node", "py", "go"} {
				if other != r {
					want := other + " v1"
					if other == "node" || other == "py" && r == "go" {
						want = other + " v2" // edited before
					}
					c.warm("/"+other, want)
				}
			}
		})
	}
	c.t = t

	// A syntax error keeps the last good version serving, and says where.
	broken := map[string]string{
		"node": "exports.handler = async () => ({statusCode: 200, body: 'node v3';\n",
		"py":   "def handler(event, context):\n    return {'statusCode': 200, 'body': 'py v3'\n",
		"go":   "package main\n\nfunc main() {\n\tundefined()\n}\n",
	}
	where := map[string]string{"node": "index.js:1", "py": "app.py, line 2", "go": "main.go:4:2: undefined: undefined"}
	for _, r := range []string{"node", "py", "go"} {
		t.Run("syntax error "+r, func(t *testing.T) {
			c.t = t
			write(t, filepath.Join(dir, files[r]), broken[r])
			d := deploymentAfter(t, a, last, exchange.DeployFailed)
			last = d.ID
			if len(d.Functions) != 1 || !strings.Contains(d.Functions[0].Error, where[r]) {
				t.Errorf("deployment %+v, want its error to name %s", d, where[r])
			}
			c.warm("/"+r, r+" v2")
			write(t, filepath.Join(dir, files[r]), source[r]("v3"))
			c.until("/"+r, r+" v3", within[r])
			last = deploymentAfter(t, a, last, exchange.DeployDeployed).ID
		})
	}
	c.t = t

	// A template edit adds a route and removes one, without a restart;
	// the functions it does not change stay warm.
	t.Run("template", func(t *testing.T) {
		c.t = t
		tpl := reloadTemplate("        Again: {Type: HttpApi, Properties: {Path: /again, Method: GET}}\n")
		tpl = strings.Replace(tpl, "        Get: {Type: HttpApi, Properties: {Path: /py, Method: GET}}\n", "", 1)
		tpl = strings.Replace(tpl, "python3.12", py, 1)
		write(t, filepath.Join(dir, "template.yaml"), tpl)
		x := c.until("/again", "node v3", 30*time.Second)
		if x.Function.Cold {
			t.Error("a new route of an unchanged function started a new environment")
		}
		code, _, url := c.get("/py")
		gone := waitStored(t, "http://"+a.uiLn.Addr().String(), url)
		if code != 404 || gone.Outcome != exchange.OutcomeNoRoute || !strings.Contains(gone.Explanation, "Route GET /py was removed from the template by deployment") {
			t.Errorf("removed route: %d %s: %s", code, gone.Outcome, gone.Explanation)
		}
		c.warm("/go", "go v3")

		// A template that no longer loads: the last good one serves.
		write(t, filepath.Join(dir, "template.yaml"), tpl+"  Broken: [\n")
		d := deploymentAfter(t, a, x.Deployment, exchange.DeployFailed)
		if !strings.Contains(d.Error, "template.yaml:") {
			t.Errorf("broken template: %q, want its file and line", d.Error)
		}
		c.warm("/again", "node v3")
	})
	c.t = t

	// A failure fixed by a save: its replay is newly passing since the
	// deployment that fixed it.
	t.Run("replay", func(t *testing.T) {
		c.t = t
		write(t, filepath.Join(dir, "node/index.js"), "exports.handler = async () => { throw new Error('broken on purpose'); };\n")
		var failedURL string
		testenv.Eventually(t, 10*time.Second, "/node failing", func() bool {
			var code int
			code, _, failedURL = c.get("/node")
			return code == 500
		})
		failed := waitStored(t, "http://"+a.uiLn.Addr().String(), failedURL)
		write(t, filepath.Join(dir, "node/index.js"), nodeSource("v4"))
		fixedBy := c.until("/node", "node v4", 10*time.Second).Deployment
		ui := "http://" + a.uiLn.Addr().String()
		var rep exchange.Exchange
		if code := postJSON(t, ui+"/api/exchanges/"+failed.ID+"/replay", "", &rep); code != 200 {
			t.Fatalf("replay: %d", code)
		}
		c.sent.Add(1) // the replay is stored too
		var diff struct {
			Class string
			Since struct {
				Deployment int64
				Change     string
			}
		}
		getJSONInto(t, ui+"/api/exchanges/"+failed.ID+"/diff?against="+rep.ID, &diff)
		if diff.Class != "newly passing" || diff.Since.Deployment != fixedBy || diff.Since.Change != "function NodeFn: code changed" {
			t.Errorf("diff: %+v, want newly passing since deployment %d", diff, fixedBy)
		}
	})
	c.t = t

	// Nothing captured is lost across reloads: every request is stored.
	testenv.Eventually(t, 30*time.Second, "every exchange stored", func() bool {
		xs, _, err := a.store.Exchanges(context.Background(), store.Filter{Session: a.session.ID, Limit: store.MaxLimit})
		return err == nil && int64(len(xs)) == c.sent.Load()
	})
}

// TestReloadOff: --watch=false watches nothing.
func TestReloadOff(t *testing.T) {
	a, _ := startAppWith(t, nil)
	if a.reloader != nil {
		t.Error("serve watches with --watch=false")
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
