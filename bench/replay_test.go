package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/gateway"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/replay"
	"github.com/gatescope/gatescope/server/replay/replaytest"
	"github.com/gatescope/gatescope/store"
)

// replaySessionSize is how many exchanges the benchmark session holds.
const replaySessionSize = 50

// replayRig captures replaySessionSize requests to the warm Go function
// into a SQLite file and returns a Replayer recording into "replays".
func replayRig(tb testing.TB) *replay.Replayer {
	tb.Helper()
	project, err := config.Load("testdata/template.yaml", config.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	router, err := apigw.NewRouter(project.APIs)
	if err != nil {
		tb.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := lambda.New(logger, project, lambda.Options{})
	tb.Cleanup(m.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := m.Prepare(ctx); err != nil {
		tb.Fatal(err)
	}
	db, err := store.Open(filepath.Join(tb.TempDir(), "bench.db"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	captured, err := db.EnsureSession(ctx, "bench")
	if err != nil {
		tb.Fatal(err)
	}
	replays, err := db.EnsureSession(ctx, "replays")
	if err != nil {
		tb.Fatal(err)
	}
	sink := &replaytest.Sink{DB: db}
	capture := gateway.New(logger, router, m, sink, func() string { return captured.ID })
	for range replaySessionSize {
		req := &apigw.Request{Method: "GET", RawPath: "/noop", Proto: "HTTP/1.1", Host: "localhost",
			Header: http.Header{}, SourceIP: "127.0.0.1", Time: time.Now()}
		_, x := capture.Do(ctx, req)
		if x.Response.Status != 200 || !sink.Submit(x) {
			tb.Fatalf("capture: status %d", x.Response.Status)
		}
	}
	sid := func() string { return replays.ID }
	gw := gateway.New(logger, router, m, sink, sid)
	return replay.New(db, gw, m, sid, nil)
}

// BenchmarkSessionReplay replays a captured session of 50 requests to a
// warm local Go function: each replay goes through the gateway, is stored
// in SQLite and diffed with its original. replays/s is the throughput.
func BenchmarkSessionReplay(b *testing.B) {
	rp := replayRig(b)
	for _, c := range []int{1, 8} {
		b.Run(fmt.Sprintf("concurrency=%d", c), func(b *testing.B) {
			opts := replay.SessionOptions{Concurrency: c}
			// Warm c environments outside the timer.
			if _, err := rp.ReplaySession(context.Background(), "bench", opts); err != nil {
				b.Fatal(err)
			}
			replays := 0
			start := time.Now()
			for b.Loop() {
				rep, err := rp.ReplaySession(context.Background(), "bench", opts)
				if err != nil {
					b.Fatal(err)
				}
				if rep.Counts.Same != replaySessionSize {
					b.Fatalf("counts %+v", rep.Counts)
				}
				replays += len(rep.Results)
			}
			b.ReportMetric(float64(replays)/time.Since(start).Seconds(), "replays/s")
		})
	}
}

// TestSessionReplaySetup keeps the replay benchmark's fixture honest under
// go test ./...: every replay of the session matches its original.
func TestSessionReplaySetup(t *testing.T) {
	rp := replayRig(t)
	rep, err := rp.ReplaySession(context.Background(), "bench", replay.SessionOptions{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts != (replay.Counts{Same: replaySessionSize}) {
		t.Fatalf("counts %+v", rep.Counts)
	}
}
