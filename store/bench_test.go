package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
)

// BenchmarkInsertExchanges measures the capture writer's path: batches of 500
// exchanges of about 2 KB each (bodies, event, logs), one transaction each.
// Full-text indexing is deferred to a background indexer, so it is paused
// here and measured after the loop as indexed/s.
func BenchmarkInsertExchanges(b *testing.B) {
	ctx := context.Background()
	db := openTest(b, Options{manualIndex: true})
	s, err := db.EnsureSession(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	const batch = 500
	body := strings.Repeat(`{"user":"alice","items":[1,2,3],"note":"hello from node"}`, 8) // ~480 B
	event := `{"version":"2.0","routeKey":"POST /orders","rawPath":"/orders","body":` + fmt.Sprintf("%q", body) + `}`
	logs := strings.Repeat("INFO processing order for alice\n", 10) // ~320 B
	mk := func(i int) *exchange.Exchange {
		x := fullExchange(s.ID, i)
		x.ID = ""
		x.StartedAt = time.Now()
		x.Request.Body = body
		x.Response.Body = body
		x.Response.IsBase64 = false
		x.Event = []byte(event)
		x.Logs = logs
		return x
	}
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		xs := make([]*exchange.Exchange, batch)
		for j := range xs {
			xs[j] = mk(n + j)
		}
		b.StartTimer()
		if err := db.InsertExchanges(ctx, xs); err != nil {
			b.Fatal(err)
		}
		n += batch
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "exchanges/s")

	start := time.Now()
	indexed, err := db.IndexPending(ctx)
	if err != nil || indexed != n {
		b.Fatalf("indexed %d of %d: %v", indexed, n, err)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "indexed/s")
}
