package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/server/ui/uitest"
	"github.com/gatescope/gatescope/store"
)

// bigStore is a store holding 100,000 exchanges with ~2 KB events, fully
// indexed, built once per benchmark binary run (about a minute).
var (
	bigOnce sync.Once
	bigDB   *store.DB
	bigErr  error
	bigDir  string
)

const bigN = 100_000

func exchangeFor(i int, at time.Time) *exchange.Exchange {
	routes := []string{"GET /items/{id}", "POST /orders", "GET /users/{id}", "ANY /{proxy+}"}
	status := []int{200, 200, 200, 201, 404, 500, 502}[i%7]
	outcome := exchange.OutcomeOK
	if status >= 500 {
		outcome = exchange.OutcomeFunctionError
	}
	event := fmt.Sprintf(`{"version":"2.0","routeKey":%q,"rawPath":"/items/%d","rawQueryString":"","headers":{"accept":"*/*","user-agent":"curl/8.5.0","x-forwarded-for":"127.0.0.1"},"requestContext":{"requestId":"r%d","http":{"method":"GET","path":"/items/%d"}},"body":%q,"isBase64Encoded":false}`,
		routes[i%4], i, i, i, strings.Repeat("lorem ipsum dolor sit amet ", 60))
	return &exchange.Exchange{
		ID: exchange.NewID(at), Session: "bench", RouteKey: routes[i%4], StartedAt: at, DurationMs: float64(i % 50),
		API:      exchange.APIRef{ID: "ServerlessHttpApi", Type: "HTTP", Stage: "$default"},
		Request:  exchange.HTTPRequest{Method: "GET", URL: fmt.Sprintf("/items/%d", i), Headers: map[string][]string{"Accept": {"*/*"}}},
		Event:    []byte(event),
		Function: exchange.FunctionCall{Name: "Items", Target: "local"},
		Response: exchange.HTTPResponse{Status: status, Body: fmt.Sprintf(`{"id":%d,"name":"item number %d"}`, i, i)},
		Outcome:  outcome,
		Logs:     fmt.Sprintf("START RequestId: r%d Version: $LATEST\nlooking up item %d\nEND RequestId: r%d\n", i, i, i),
	}
}

func openBig(b *testing.B) *store.DB {
	bigOnce.Do(func() {
		bigDir, bigErr = tempDir()
		if bigErr != nil {
			return
		}
		bigDB, bigErr = store.Open(filepath.Join(bigDir, "big.db"), store.Options{})
		if bigErr != nil {
			return
		}
		ctx := context.Background()
		t0 := time.Now().Add(-time.Hour)
		batch := make([]*exchange.Exchange, 0, 1000)
		for i := range bigN {
			batch = append(batch, exchangeFor(i, t0.Add(time.Duration(i)*time.Millisecond)))
			if len(batch) == cap(batch) {
				if bigErr = bigDB.InsertExchanges(ctx, batch); bigErr != nil {
					return
				}
				batch = batch[:0]
			}
		}
		_, bigErr = bigDB.IndexPending(ctx)
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigDB
}

// BenchmarkAPIWith100k measures what a user waits for with 100,000 stored
// exchanges: the first page of GET /api/exchanges, a full-text search, and
// the dashboard's list page.
func BenchmarkAPIWith100k(b *testing.B) {
	db := openBig(b)
	srv := uitest.Server(b, db, nil, ui.Deps{})
	for _, bc := range []struct{ name, path string }{
		{"first page", "/api/exchanges?limit=50"},
		{"text search", "/api/exchanges?limit=50&q=item%20number%2099999"},
		{"filtered", "/api/exchanges?limit=50&status=5xx&route=GET%20/users/%7Bid%7D"},
		{"list page", "/"},
		{"stats", "/api/stats"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				resp, err := http.Get(srv.URL + bc.path)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("%s: %d", bc.path, resp.StatusCode)
				}
			}
		})
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bigDB != nil {
		bigDB.Close()
	}
	if bigDir != "" {
		os.RemoveAll(bigDir)
	}
	os.Exit(code)
}
