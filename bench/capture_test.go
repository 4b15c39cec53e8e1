package bench

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/capture"
	"github.com/gatescope/gatescope/server/gateway"
	"github.com/gatescope/gatescope/store"
)

// BenchmarkGatewayCapture is the gateway at 16 parallel clients with capture
// off and on (the real pipeline into a real SQLite file), in one run, so
// their ratio is capture's cost on the request path and the shared CPUs.
func BenchmarkGatewayCapture(b *testing.B) {
	project, m := setup(b)
	router, err := apigw.NewRouter(project.APIs)
	if err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, on := range []bool{false, true} {
		name := "off"
		var sink gateway.Sink = discard{}
		if on {
			name = "on"
			db, err := store.Open(filepath.Join(b.TempDir(), "gs.db"), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			p := capture.NewPipeline(logger, db, capture.PipelineOptions{})
			ctx, cancel := context.WithCancel(context.Background())
			go p.Run(ctx)
			defer func() { p.Close(context.Background()); cancel(); db.Close() }()
			sink = p
		}
		b.Run(name, func(b *testing.B) {
			srv := httptest.NewServer(gateway.New(logger, router, m, sink, func() string { return "bench" }))
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.SetParallelism(8) // 16 clients on 2 CPUs
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(srv.URL + "/noop")
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		})
	}
}
