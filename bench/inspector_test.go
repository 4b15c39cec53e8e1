package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/server/ui/uitest"
	"github.com/gatescope/gatescope/store"
)

// bigBodyExchange is a POST of a 1 MB JSON document (an array of 5,000
// orders) that a function echoed back: the body is in the request, in the
// event (as a string, as API Gateway puts it), in the function's output
// and in the response.
func bigBodyExchange(at time.Time) *exchange.Exchange {
	type item struct {
		ID    int      `json:"id"`
		Name  string   `json:"name"`
		Tags  []string `json:"tags"`
		Price float64  `json:"price"`
		Notes string   `json:"notes"`
	}
	var items []item
	size := 0
	for i := 0; size < 1<<20; i++ {
		it := item{ID: i, Name: fmt.Sprintf("order %d", i), Tags: []string{"a", "bb", "ccc"}, Price: float64(i) * 1.25,
			Notes: strings.Repeat("n", 120)}
		b, _ := json.Marshal(it)
		size += len(b) + 1
		items = append(items, it)
	}
	body, _ := json.Marshal(items)
	event, _ := json.Marshal(map[string]any{"version": "2.0", "routeKey": "POST /orders", "rawPath": "/orders",
		"headers": map[string]string{"content-type": "application/json"}, "body": string(body), "isBase64Encoded": false})
	output, _ := json.Marshal(map[string]any{"statusCode": 200, "body": string(body)})
	x := exchangeFor(0, at)
	x.Request = exchange.HTTPRequest{Method: "POST", URL: "/orders", Body: string(body),
		Headers: map[string][]string{"Content-Type": {"application/json"}, "Host": {"127.0.0.1:3000"}}}
	x.Event, x.Function.RawResponse = event, output
	x.Response = exchange.HTTPResponse{Status: 200, Body: string(body), Headers: map[string][]string{"Content-Type": {"application/json"}}}
	return x
}

// BenchmarkInspector1MB is the inspector of an exchange with a 1 MB body,
// beside one of a ~2 KB exchange in the same run: the server's time for
// the page and for the whole event the page's tree fetches, and, in
// headless Chromium, the time from navigation to every JSON tree drawn
// (the page's "inspector-ready" mark).
func BenchmarkInspector1MB(b *testing.B) {
	db, err := store.Open(filepath.Join(b.TempDir(), "gatescope.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	at := time.Now().Add(-time.Minute)
	big, small := bigBodyExchange(at), exchangeFor(1, at.Add(time.Second))
	if err := db.InsertExchanges(context.Background(), []*exchange.Exchange{big, small}); err != nil {
		b.Fatal(err)
	}
	srv := uitest.Server(b, db, nil, ui.Deps{})
	get := func(b *testing.B, path string) int {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return int(n)
	}
	for _, x := range []struct {
		name string
		x    *exchange.Exchange
	}{{"1MB", big}, {"2KB", small}} {
		for _, part := range []struct{ name, path string }{
			{"page", "/exchanges/" + x.x.ID},
			{"event", "/exchanges/" + x.x.ID + "/event.json"},
		} {
			b.Run(x.name+"/"+part.name, func(b *testing.B) {
				n := 0
				for b.Loop() {
					n = get(b, part.path)
				}
				b.ReportMetric(float64(n)/1024, "KB")
			})
		}
	}

	tab := testenv.Browser(b, chromedp.WindowSize(1440, 1000))
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1440, 1000)); err != nil {
		b.Fatal(err)
	}
	for _, x := range []struct {
		name string
		x    *exchange.Exchange
	}{{"1MB", big}, {"2KB", small}} {
		b.Run(x.name+"/browser", func(b *testing.B) {
			var total float64
			for b.Loop() {
				ctx, cancel := context.WithTimeout(tab, 30*time.Second)
				if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/exchanges/"+x.x.ID),
					chromedp.Poll[chromedp.Void](`performance.getEntriesByName('inspector-ready').length > 0`, chromedp.WithPollingInterval(5*time.Millisecond))); err != nil {
					cancel()
					b.Fatal(err)
				}
				ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.getEntriesByName('inspector-ready')[0].startTime`))
				cancel()
				if err != nil {
					b.Fatal(err)
				}
				total += ms
			}
			b.ReportMetric(total/float64(b.N), "ms-to-trees")
		})
	}
}
