package share

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
)

// TestShareLinkIgnoresHost: a link names the dashboard's own address, not
// whatever Host the request carried (a client chooses its Host header).
func TestShareLinkIgnoresHost(t *testing.T) {
	db := openStoreAt(t, time.Now)
	if err := db.InsertExchanges(context.Background(), []*exchange.Exchange{secretExchange()}); err != nil {
		t.Fatal(err)
	}
	s, err := db.Session(context.Background(), "s")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, db, time.Now)
	req, _ := http.NewRequest("POST", srv.URL+"/api/sessions/"+s.ID+"/share", nil)
	req.Host = "evil.example:3001"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l ShareLink
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	if !strings.HasPrefix(l.URL, srv.URL+"/s/") {
		t.Errorf("link %q, want it under %s", l.URL, srv.URL)
	}
}
