package bench

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/capture"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/gateway"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/trace/collect"
	"github.com/gatescope/gatescope/store"
)

// traceRig is one gatescope (gateway, capture into SQLite) in front of a
// function that sends three subsegment documents per request, as
// aws-xray-sdk-go would, to addr.
type traceRig struct {
	url  string
	col  *collect.Collector // nil: the documents go to a socket nobody reads
	stop func()
}

func newTraceRig(tb testing.TB, ingest bool) *traceRig {
	tb.Helper()
	project, err := config.Load("testdata/traced.yaml", config.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	router, err := apigw.NewRouter(project.APIs)
	if err != nil {
		tb.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(filepath.Join(tb.TempDir(), "gs.db"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := capture.NewPipeline(logger, db, capture.PipelineOptions{})
	go p.Run(ctx)
	r := &traceRig{}
	var addr string
	var closeUDP func() error
	if ingest {
		r.col = collect.New(logger, db, collect.Options{})
		d, err := r.col.ListenDaemon("127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		go d.Serve()
		go r.col.Run(ctx)
		addr, closeUDP = d.Addr().String(), d.Close
	} else {
		hole, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		addr, closeUDP = hole.LocalAddr().String(), hole.Close
	}
	m := lambda.New(logger, project, lambda.Options{XRayDaemon: addr})
	pctx, pcancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer pcancel()
	if err := m.Prepare(pctx); err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(gateway.New(logger, router, m, p, func() string { return "bench" }))
	r.url = srv.URL + "/traced"
	r.stop = func() {
		srv.Close()
		m.Close()
		closeUDP()
		p.Close(context.Background())
		cancel()
		if r.col != nil {
			<-r.col.Done()
		}
		db.Close()
	}
	return r
}

// load sends requests from 16 clients for d and returns how many were
// answered.
func (r *traceRig) load(tb testing.TB, d time.Duration) int64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for range 16 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				resp, err := client.Get(r.url)
				if err != nil {
					tb.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				n.Add(1)
			}
		})
	}
	wg.Wait()
	client.CloseIdleConnections()
	return n.Load()
}

// BenchmarkTraceIngest measures what receiving traces costs the request
// path: the same load (16 clients, capture on) against two gatescopes
// whose function sends three subsegments per request, one to gatescope's
// daemon (parsed, queued and stored) and one to a UDP socket nobody reads
// (only the function's own cost of sending). The machine is shared, so the
// two run in alternating slices of 2 s, ten rounds, in one run, and the
// ratio is of their totals. Run with -benchtime 1x.
func BenchmarkTraceIngest(b *testing.B) {
	hole, ingest := newTraceRig(b, false), newTraceRig(b, true)
	defer hole.stop()
	defer ingest.stop()
	hole.load(b, time.Second) // warm both: cold starts and first builds
	ingest.load(b, time.Second)
	const rounds, slice = 10, 2 * time.Second
	var nHole, nIngest int64
	var ratios []float64
	before := ingest.col.Counts()
	for i := range rounds {
		var h, g int64
		if i%2 == 0 {
			h, g = hole.load(b, slice), ingest.load(b, slice)
		} else {
			g, h = ingest.load(b, slice), hole.load(b, slice)
		}
		nHole += h
		nIngest += g
		ratios = append(ratios, float64(g)/float64(h))
	}
	testing.Verbose()
	after := ingest.col.Counts()
	secs := (rounds * slice).Seconds()
	b.ReportMetric(float64(nHole)/secs, "req/s-unread")
	b.ReportMetric(float64(nIngest)/secs, "req/s-ingest")
	b.ReportMetric(float64(nIngest)/float64(nHole), "ratio")
	b.ReportMetric(float64(after.Received-before.Received)/secs, "segments/s")
	b.ReportMetric(float64(after.Dropped-before.Dropped), "dropped")
	lo, hi := ratios[0], ratios[0]
	for _, r := range ratios {
		lo, hi = min(lo, r), max(hi, r)
	}
	b.ReportMetric(lo, "ratio-min")
	b.ReportMetric(hi, "ratio-max")
}
