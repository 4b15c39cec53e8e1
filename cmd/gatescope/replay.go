package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/capture"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/gateway"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/replay"
	"github.com/gatescope/gatescope/store"
)

// runReplay replays exchanges standalone on the DB file with the current
// template's functions, and exits 0 when every response matches, 1 when
// one changed, 2 on a usage or run error.
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

func replayCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("replay", "replay ID | --session NAME [--only failed] [--template FILE] [--db PATH]", stderr)
	var session, only, template, db, against, expect string
	fs.StringVar(&session, "session", "", "replay every exchange of session `NAME`")
	fs.StringVar(&only, "only", "", "replay only `failed` exchanges")
	fs.StringVar(&template, "template", "", "SAM template `FILE` (default ./template.yaml)")
	fs.StringVar(&db, "db", defaultDB, "SQLite database `PATH`")
	fs.StringVar(&against, "against", "local", "replay `TARGET`: local, or a function name or ARN")
	fs.StringVar(&expect, "expect", "same", "what must match: `same` (status and body) or status")
	var id string
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		id, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if id == "" && fs.NArg() > 0 {
		id = fs.Arg(0)
	}
	if (id == "") == (session == "") {
		fs.Usage()
		return fmt.Errorf("%w: give an exchange ID or --session NAME", errUsage)
	}
	if expect != "same" && expect != "status" {
		return fmt.Errorf("%w: --expect %q: want same or status", errUsage, expect)
	}
	st, err := openDB(db)
	if err != nil {
		return err
	}
	defer st.Close()
	var originals []*capture.Exchange
	if id != "" {
		x, err := st.Exchange(ctx, id)
		if err != nil {
			return fmt.Errorf("exchange %s: %w", id, err)
		}
		originals = append(originals, x)
	} else {
		xs, _, err := st.Exchanges(ctx, store.Filter{Session: session, Limit: 1000})
		if err != nil {
			return err
		}
		for i := len(xs) - 1; i >= 0; i-- {
			if xs[i].ReplayOf == "" && (only != "failed" || xs[i].Outcome != apigw.OutcomeOK) {
				originals = append(originals, xs[i])
			}
		}
	}

	path, err := templatePath(serveFlags{template: template})
	if err != nil {
		return err
	}
	project, err := config.Load(path, config.Options{Region: regionOf("")})
	if err != nil {
		return err
	}
	router, err := apigw.NewRouter(project.APIs)
	if err != nil {
		return err
	}
	logger, _ := newLogger(stderr, "warn")
	m := lambda.New(logger, project, lambda.Options{Region: regionOf("")})
	defer m.Close()
	sess, err := st.EnsureSession(ctx, "replays")
	if err != nil {
		return err
	}
	sid := func() string { return sess.ID }
	gw := gateway.New(logger, router, m, discard{}, sid)
	rp := replay.New(st, gw, m, sid, nil)

	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EXCHANGE\tROUTE\tBEFORE\tAFTER\tRESULT")
	changed := 0
	for _, orig := range originals {
		x, err := rp.Replay(ctx, orig.ID, replay.Edit{Target: against})
		if err != nil {
			return err
		}
		verdict := compare(orig, x, expect)
		if verdict != "same" && verdict != "newly passing" {
			changed++
		}
		if verdict == "newly passing" && expect == "same" {
			changed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%d %s\t%d %s\t%s\n", orig.ID, orig.RouteKey, orig.Response.Status, orig.Outcome, x.Response.Status, x.Outcome, verdict)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "%d replayed, %d changed\n", len(originals), changed)
	if changed > 0 {
		return errChanged
	}
	return nil
}

// compare classifies a replay against its original.
func compare(orig, x *capture.Exchange, expect string) string {
	okBefore, okAfter := orig.Outcome == apigw.OutcomeOK, x.Outcome == apigw.OutcomeOK
	switch {
	case okBefore && !okAfter:
		return "newly failing"
	case !okBefore && okAfter:
		return "newly passing"
	case orig.Response.Status != x.Response.Status:
		return "changed"
	case expect == "same" && orig.Response.Body != x.Response.Body:
		return "changed"
	}
	return "same"
}

// discard is a capture sink for standalone replays, which store each
// replay themselves.
type discard struct{}

func (discard) Submit(*capture.Exchange) bool { return true }
