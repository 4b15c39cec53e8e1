package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/gateway"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/replay"
)

const replaySynopsis = `replay ID | --session NAME [flags]

Replays a captured exchange, or every original exchange of a session (oldest
first), and compares each replay with its original: status, headers and body,
JSON-aware, with volatile fields (request ids, dates, trace ids, UUIDs,
timestamps) ignored. Prints a summary and the diff of each changed exchange.

Standalone, it runs the functions of the template (--template) on the DB file
(--db) and stores the replays in its session "replays". With --url, it asks a
running gatescope to replay instead (its JSON API), which stores the replays
in its current session.

Exit status, as --expect decides:
  --expect same    0 when every replay matches its original; 1 when any
                   changed, newly passing ones too (the default)
  --expect status  1 only when a status changed or an exchange is newly
                   failing; changed bodies and newly passing exchanges are
                   fine (a fix shows as newly passing)
  2 on a usage error or when an exchange could not be replayed`

// runReplay replays exchanges and exits 0 when nothing changed per
// --expect, 1 when something did, 2 on a usage or run error.
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := replayCmd(ctx, args, stdout, stderr)
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errChanged):
		return 1
	default:
		fmt.Fprintln(stderr, "gatescope:", err)
		return 2
	}
}

var errChanged = errors.New("responses changed")

type replayFlags struct {
	id, session, only, against, expect string
	db, template, url                  string
	concurrency                        int
	ignore                             stringList
	access                             accessFlags
}

func replayCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f replayFlags
	fs := newFlags("replay", replaySynopsis, stderr)
	fs.StringVar(&f.session, "session", "", "replay every original exchange of session `NAME` (or id)")
	fs.StringVar(&f.only, "only", "", "`failed`: replay only exchanges that failed (an outcome other than ok, or a 5xx)")
	fs.StringVar(&f.against, "against", "local", "`TARGET` to replay against: local (each route's own function), a function name, or the ARN of a deployed function")
	fs.IntVar(&f.concurrency, "concurrency", 1, "replay `N` exchanges at a time (1 keeps the captured order)")
	fs.Var(&f.ignore, "ignore", "also ignore `FIELD`: a header name, a JSON key, or a path like body.items[*].id or headers.X-Cache (repeatable, or comma separated)")
	fs.StringVar(&f.expect, "expect", "same", "`MODE` deciding the exit status: same (any change exits 1) or status (only a changed status or a newly failing exchange exits 1; newly passing is fine)")
	fs.StringVar(&f.db, "db", defaultDB, "SQLite database `PATH` (standalone)")
	fs.StringVar(&f.template, "template", "", "SAM template `FILE` whose functions replay (standalone; default ./template.yaml)")
	fs.StringVar(&f.url, "url", "", "replay through the running gatescope at `URL` (e.g. http://127.0.0.1:3001) instead of standalone")
	f.access.register(fs) // standalone replays run the routes' authorizers as serve does
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		f.id, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if f.id == "" && fs.NArg() == 1 {
		f.id = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if (f.id == "") == (f.session == "") {
		fs.Usage()
		return fmt.Errorf("%w: give an exchange ID or --session NAME", errUsage)
	}
	expect, err := replay.ParseExpect(f.expect)
	if err != nil {
		return fmt.Errorf("%w: --%v", errUsage, err)
	}
	if f.only != "" && f.only != "failed" {
		return fmt.Errorf("%w: --only %q: the only choice is failed", errUsage, f.only)
	}
	if f.id != "" && f.only != "" {
		return fmt.Errorf("%w: --only applies to --session", errUsage)
	}
	if f.concurrency < 1 || f.concurrency > replay.MaxConcurrency {
		return fmt.Errorf("%w: --concurrency %d: want 1 to %d", errUsage, f.concurrency, replay.MaxConcurrency)
	}
	// --against naming a deployed function is the user's own explicit
	// choice: it confirms the remote replay the API would ask about.
	confirm := f.against != "local" && f.against != ""
	opts := replay.SessionOptions{OnlyFailed: f.only == "failed", Target: f.against, Concurrency: f.concurrency,
		Ignore: replay.Ignores(f.ignore), ConfirmRemote: confirm}

	var rep *replay.SessionReport
	if f.url != "" {
		rep, err = replayRemote(ctx, f, opts)
	} else {
		rep, err = replayStandalone(ctx, f, opts, stderr)
	}
	if err != nil {
		return err
	}
	printReport(stdout, rep)
	if rep.Counts.Errors > 0 {
		return fmt.Errorf("%d exchange(s) could not be replayed", rep.Counts.Errors)
	}
	if n := len(rep.Breaking(expect)); n > 0 {
		fmt.Fprintf(stdout, "%d changed (--expect %s)\n", n, expect)
		return errChanged
	}
	return nil
}

// replayStandalone replays on the DB file with the template's functions.
func replayStandalone(ctx context.Context, f replayFlags, opts replay.SessionOptions, stderr io.Writer) (*replay.SessionReport, error) {
	st, err := openDB(f.db)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	path, err := templatePath(serveFlags{template: f.template})
	if err != nil {
		return nil, err
	}
	project, err := config.Load(path, config.Options{Region: regionOf("")})
	if err != nil {
		return nil, err
	}
	router, err := apigw.NewRouter(project.APIs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	logger, _ := newLogger(stderr, "warn")
	m := lambda.New(logger, project, lambda.Options{})
	defer m.Close()
	// Build up front: a Go build must not eat into the first replay's timeout.
	// Functions that cannot be built fail their own replays, named.
	if err := m.Prepare(ctx); err != nil {
		fmt.Fprintln(stderr, "gatescope: warning:", err)
	}
	sess, err := st.EnsureSession(ctx, "replays")
	if err != nil {
		return nil, err
	}
	sid := func() string { return sess.ID }
	acc, err := newAccess(logger, project, m, f.access, issuerLoader(f.access.issuerKey))
	if err != nil {
		return nil, err
	}
	gw := gateway.New(logger, router, m, discard{}, sid).WithAccess(acc)
	rp := replay.New(st, gw, m, sid, nil)
	if f.session != "" {
		return rp.ReplaySession(ctx, f.session, opts)
	}
	res, err := rp.ReplayOne(ctx, f.id, replay.Edit{Target: f.against, ConfirmRemote: opts.ConfirmRemote}, opts.Ignore)
	if err != nil {
		return nil, err
	}
	return singleReport(res, f.against, sess.ID), nil
}

func singleReport(res *replay.Result, target, recordedIn string) *replay.SessionReport {
	rep := &replay.SessionReport{Session: res.Original.Session, Target: target, RecordedIn: recordedIn, Results: []replay.Result{*res}}
	switch res.Diff.Class {
	case replay.ClassSame:
		rep.Counts.Same = 1
	case replay.ClassChanged:
		rep.Counts.Changed = 1
	case replay.ClassNewlyFailing:
		rep.Counts.NewlyFailing = 1
	case replay.ClassNewlyPassing:
		rep.Counts.NewlyPassing = 1
	}
	return rep
}

// replayRemote asks a running gatescope to replay, over its JSON API.
func replayRemote(ctx context.Context, f replayFlags, opts replay.SessionOptions) (*replay.SessionReport, error) {
	base := strings.TrimRight(f.url, "/")
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: --url %q: want http://host:port", errUsage, f.url)
	}
	client := &http.Client{Timeout: 15 * time.Minute} // a session replay answers when all replays are done
	if f.session != "" {
		var rep replay.SessionReport
		if err := callJSON(ctx, client, "POST", base+"/api/sessions/"+url.PathEscape(f.session)+"/replay", opts, &rep); err != nil {
			return nil, err
		}
		return &rep, nil
	}
	var x exchange.Exchange
	body := replay.Edit{ConfirmRemote: opts.ConfirmRemote}
	if f.against != "local" {
		body.Target = f.against
	}
	if err := callJSON(ctx, client, "POST", base+"/api/exchanges/"+url.PathEscape(f.id)+"/replay", body, &x); err != nil {
		return nil, err
	}
	q := url.Values{"against": {x.ID}}
	for _, p := range opts.Ignore {
		q.Add("ignore", p)
	}
	var d replay.Diff
	if err := callJSON(ctx, client, "GET", base+"/api/exchanges/"+url.PathEscape(f.id)+"/diff?"+q.Encode(), nil, &d); err != nil {
		return nil, err
	}
	var orig exchange.Exchange
	if err := callJSON(ctx, client, "GET", base+"/api/exchanges/"+url.PathEscape(f.id), nil, &orig); err != nil {
		return nil, err
	}
	return singleReport(&replay.Result{Original: &orig, Replay: &x, Diff: &d}, f.against, x.Session), nil
}

// callJSON sends in (when not nil) as JSON and decodes a 200 answer into
// out; other answers become errors carrying the API's message.
func callJSON(ctx context.Context, client *http.Client, method, u string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s %s: %s (HTTP %d)", method, u, e.Error, resp.StatusCode)
		}
		return fmt.Errorf("%s %s: HTTP %d", method, u, resp.StatusCode)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, u, err)
	}
	return nil
}

// printReport writes the summary table, one line per exchange and the diff
// of every exchange that changed.
func printReport(w io.Writer, rep *replay.SessionReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EXCHANGE\tROUTE\tBEFORE\tAFTER\tRESULT")
	for _, r := range rep.Results {
		route := r.Original.RouteKey
		if route == "" {
			route = r.Original.Function.Name
		}
		before := fmt.Sprintf("%d %s", r.Original.Response.Status, r.Original.Outcome)
		if r.Replay == nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\t-\terror: %s\n", r.Original.ID, route, before, r.Error)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d %s\t%s\n", r.Original.ID, route, before, r.Replay.Response.Status, r.Replay.Outcome, r.Diff.Verdict())
	}
	tw.Flush()
	fmt.Fprintln(w)
	c := rep.Counts
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "same\tchanged\tnewly failing\tnewly passing\terrors\t")
	fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t\n", c.Same, c.Changed, c.NewlyFailing, c.NewlyPassing, c.Errors)
	tw.Flush()
	for _, r := range rep.Results {
		if r.Diff != nil && !r.Diff.Same() {
			fmt.Fprintln(w)
			fmt.Fprint(w, r.Diff.Text())
		}
	}
}
