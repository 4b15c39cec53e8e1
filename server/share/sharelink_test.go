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

// TestReach: the sentence beside a new link says where it opens, from the
// dashboard's own address: this machine on loopback (with the flag that
// reaches the network), the network on a LAN address; the share file for
// everyone else.
func TestReach(t *testing.T) {
	for _, c := range []struct {
		base string
		want []string
	}{
		{"http://127.0.0.1:3001", []string{"only on this machine", "listens on 127.0.0.1:3001 (loopback)", "--ui-addr 0.0.0.0:3001", "share file"}},
		{"http://[::1]:4001", []string{"only on this machine", "[::1]:4001", "--ui-addr 0.0.0.0:4001", "share file"}},
		{"http://localhost:3001", []string{"only on this machine"}},
		{"http://192.168.1.20:3001", []string{"wherever 192.168.1.20:3001 is reachable", "without the dashboard's token", "share file"}},
		{"", []string{"only where this dashboard's address is reachable", "share file"}},
	} {
		got := Reach(c.base)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("Reach(%q) = %q, want it to say %q", c.base, got, w)
			}
		}
	}
	db := openStoreAt(t, time.Now)
	if err := db.InsertExchanges(context.Background(), []*exchange.Exchange{secretExchange()}); err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, db, time.Now)
	resp, body := do(t, "POST", srv.URL+"/api/sessions/s/share", "application/json", strings.NewReader("{}"))
	var l ShareLink
	if err := json.Unmarshal([]byte(body), &l); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if l.Reach != Reach(srv.URL) || !strings.Contains(l.Reach, "only on this machine") {
		t.Errorf("the answer's reach is %q", l.Reach)
	}
}
