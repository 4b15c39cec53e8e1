package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/testenv"
)

// Regression tests for bugs that hid at the seams between packages, each
// through the real `serve` wiring.

// waitStored polls the JSON API until an exchange for url is stored.
func waitStored(t *testing.T, ui, url string) *exchange.Exchange {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var res struct{ Exchanges []*exchange.Exchange }
		getJSONInto(t, ui+"/api/exchanges?limit=50", &res)
		for _, x := range res.Exchanges {
			if x.Request.URL == url && x.ReplayOf == "" {
				return x
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no exchange for %s stored", url)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func postJSON(t *testing.T, url, body string, v any) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("POST %s: %v: %s", url, err, b)
		}
	}
	return resp.StatusCode
}

// Edit & replay with the query field cleared replays without a query; the
// dashboard's copy of the edit type used to read "" as "keep the original".
func TestReplayWithQueryCleared(t *testing.T) {
	testenv.Need(t, "node")
	a := startTestApp(t, "query")
	api, ui := "http://"+a.apiLn.Addr().String(), "http://"+a.uiLn.Addr().String()
	get(t, api+"/echo/q?name=orig")
	orig := waitStored(t, ui, "/echo/q?name=orig")

	for _, tt := range []struct{ body, wantURL string }{
		{`{"request":{"query":""}}`, "/echo/q"},
		{`{"request":{"query":"name=edited"}}`, "/echo/q?name=edited"},
		{`{"request":{}}`, "/echo/q?name=orig"},
		{``, "/echo/q?name=orig"},
	} {
		var rep exchange.Exchange
		if code := postJSON(t, ui+"/api/exchanges/"+orig.ID+"/replay", tt.body, &rep); code != 200 {
			t.Fatalf("replay %s: %d", tt.body, code)
		}
		if rep.Request.URL != tt.wantURL || rep.ReplayOf != orig.ID {
			t.Errorf("replay %s: url %q (replay of %q), want %q", tt.body, rep.Request.URL, rep.ReplayOf, tt.wantURL)
		}
	}
}

// "Copy as curl" and the HAR export aim at the address the client used, not
// at 127.0.0.1:3000 whatever --api-addr says.
func TestCurlAndHARUseTheClientsAddress(t *testing.T) {
	testenv.Need(t, "node")
	a := startTestApp(t, "hosts")
	api, ui := "http://"+a.apiLn.Addr().String(), "http://"+a.uiLn.Addr().String()
	if strings.HasSuffix(api, ":3000") {
		t.Fatal("the test needs an api address other than the default")
	}
	get(t, api+"/echo/h?x=1")
	x := waitStored(t, ui, "/echo/h?x=1")

	resp, err := http.Get(ui + "/exchanges/" + x.ID)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "curl &#39;" + api + "/echo/h?x=1&#39;"; !strings.Contains(string(page), want) {
		t.Errorf("the inspector's curl does not aim at %s", api)
	}

	var har struct {
		Log struct {
			Entries []struct{ Request struct{ URL string } }
		}
	}
	getJSONInto(t, ui+"/api/sessions/"+x.Session+"/export?format=har&redact=0", &har)
	if len(har.Log.Entries) != 1 || har.Log.Entries[0].Request.URL != api+"/echo/h?x=1" {
		t.Errorf("HAR entries %+v, want one request to %s/echo/h?x=1", har.Log.Entries, api)
	}
}

// /api/health answers 503 "starting" while functions build, then 200; it
// used to answer "error", because serve's error did not wrap ErrStarting.
func TestHealthWhileBuilding(t *testing.T) {
	realGo, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	// A `go` that waits for the test before building: the build is held
	// exactly as long as the test needs, with no timing guess.
	bin := t.TempDir()
	gate := filepath.Join(bin, "gate")
	if err := syscall.Mkfifo(gate, 0o600); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("#!/bin/sh\nread _ < %q\nexec %q \"$@\"\n", gate, realGo)
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	dir := t.TempDir()
	f := serveFlags{template: "testdata/goapp/template.yaml", apiAddr: "127.0.0.1:0", uiAddr: "127.0.0.1:0",
		db: filepath.Join(dir, "gs.db"), logLevel: "warn", cacheDir: filepath.Join(dir, "cache"),
		idleTimeout: time.Minute, capture: true, params: keyValues{}}
	a, err := startApp(context.Background(), slog.New(slog.DiscardHandler), f)
	if err != nil {
		t.Fatal(err)
	}
	released := false
	release := func() {
		if !released {
			released = true
			os.WriteFile(gate, []byte("go\n"), 0) // unblocks the fake go's read
		}
	}
	t.Cleanup(func() {
		release()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.shutdown(ctx)
	})
	ui := "http://" + a.uiLn.Addr().String()

	health := func() (int, map[string]string) {
		resp, err := http.Get(ui + "/api/health")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]string
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	if code, m := health(); code != 503 || m["status"] != "starting" {
		t.Fatalf("while building: %d %v, want 503 starting", code, m)
	}
	release()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		code, m := health()
		if code == 200 && m["status"] == "ok" {
			break
		}
		if m["status"] != "starting" || time.Now().After(deadline) {
			t.Fatalf("after the build: %d %v, want 200 ok", code, m)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
