package ui

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

func mustHosts(t *testing.T, addr string, allowed ...string) *Hosts {
	t.Helper()
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHosts(ta, allowed)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// arrivedOn is a request whose connection arrived on local, as the server
// records it.
func arrivedOn(local string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	if local != "" {
		a, _ := net.ResolveTCPAddr("tcp", local)
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, a))
	}
	return r
}

// TestHostsAllowed: the Host values a dashboard answers to. A rebinding
// page's domain is never among them; IP literals cannot be rebound.
func TestHostsAllowed(t *testing.T) {
	loop := mustHosts(t, "127.0.0.1:3001")
	conf := mustHosts(t, "127.0.0.1:3001", "Dash.Example", "box.lan:8080", "10.1.2.3", "[fd00::5]:9000")
	tests := []struct {
		name  string
		hosts *Hosts
		local string // the address the connection arrived on
		host  string
		want  bool
	}{
		{"listen address", loop, "", "127.0.0.1:3001", true},
		{"localhost", loop, "", "localhost:3001", true},
		{"localhost, any case", loop, "", "LocalHost:3001", true},
		{"localhost with a final dot", loop, "", "localhost.:3001", true},
		{"IPv6 loopback", loop, "", "[::1]:3001", true},
		{"another port", loop, "", "localhost:3002", false},
		{"no port is port 80", loop, "", "localhost", false},
		{"a rebound domain", loop, "", "evil.example:3001", false},
		{"a rebound subdomain of localhost's", loop, "", "localhost.evil.example:3001", false},
		{"empty", loop, "", "", false},
		{"0.0.0.0", loop, "127.0.0.1:3001", "0.0.0.0:3001", false},
		{"configured name, any port", conf, "", "dash.example:443", true},
		{"configured name without port", conf, "", "dash.example", true},
		{"configured host:port", conf, "", "box.lan:8080", true},
		{"configured host, other port", conf, "", "box.lan:3001", false},
		{"configured address", conf, "", "10.1.2.3:1234", true},
		{"configured IPv6 host:port", conf, "", "[fd00::5]:9000", true},
		{"the address the connection arrived on", loop, "192.168.7.9:3001", "192.168.7.9:3001", true},
		{"that address, another port", loop, "192.168.7.9:3001", "192.168.7.9:3002", false},
		{"another address", loop, "192.168.7.9:3001", "192.168.7.10:3001", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.hosts.Allowed(arrivedOn(tt.local), tt.host); got != tt.want {
				t.Errorf("Allowed(%q) = %v, want %v", tt.host, got, tt.want)
			}
		})
	}
}

// TestHostsEveryInterface: listening on 0.0.0.0 (token mode), the machine's
// addresses and host name name the dashboard, and links use a LAN address
// rather than 0.0.0.0 or [::], which browsers refuse or treat oddly.
func TestHostsEveryInterface(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:3001", "[::]:3001"} {
		h := mustHosts(t, addr)
		r := arrivedOn("")
		for _, a := range interfaceAddrs() {
			if !h.Allowed(r, net.JoinHostPort(a.String(), "3001")) {
				t.Errorf("%s: interface address %s refused", addr, a)
			}
		}
		if name, err := os.Hostname(); err == nil && !h.Allowed(r, name+":3001") {
			t.Errorf("%s: host name %s refused", addr, name)
		}
		if b := h.BaseURL(); strings.Contains(b, "0.0.0.0") || strings.Contains(b, "[::]") || !strings.HasSuffix(b, ":3001") {
			t.Errorf("%s: base URL %q", addr, b)
		}
	}
	if b := mustHosts(t, "127.0.0.1:3001").BaseURL(); b != "http://127.0.0.1:3001" {
		t.Errorf("loopback base URL %q", b)
	}
	if b := mustHosts(t, "[::1]:3001").BaseURL(); b != "http://[::1]:3001" {
		t.Errorf("IPv6 loopback base URL %q", b)
	}
}

func TestAllowedHostValues(t *testing.T) {
	for _, bad := range []string{"http://dash.example", "dash.example/x", "a b", "box:99999", "box:x", "", ":3001", "user@box"} {
		if _, err := NewHosts(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, []string{bad}); err == nil {
			t.Errorf("--allowed-host %q accepted", bad)
		}
	}
	for _, good := range []string{"dash.example", "dash.example:8080", "10.0.0.1", "::1", "[::1]", "[::1]:3001"} {
		if _, err := NewHosts(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, []string{good}); err != nil {
			t.Errorf("--allowed-host %q: %v", good, err)
		}
	}
}

// TestCheckOrigin: the live feed's websocket check. No Origin is a client
// that is not a browser; an Origin must be one of the dashboard's own.
func TestCheckOrigin(t *testing.T) {
	h := mustHosts(t, "127.0.0.1:3001", "dash.example")
	tests := []struct {
		origin string
		want   bool
	}{
		{"", true},
		{"http://127.0.0.1:3001", true},
		{"http://localhost:3001", true},
		{"https://dash.example", true},
		{"null", false},
		{"http://evil.example:3001", false},
		{"http://127.0.0.1:3002", false}, // another port of the same host
		{"http://127.0.0.1", false},
		{"file://", false},
		{"chrome-extension://abcdef", false},
	}
	for _, tt := range tests {
		r := arrivedOn("127.0.0.1:3001")
		if tt.origin != "" {
			r.Header.Set("Origin", tt.origin)
		}
		if got := h.CheckOrigin(r); got != tt.want {
			t.Errorf("CheckOrigin(%q) = %v, want %v", tt.origin, got, tt.want)
		}
	}
}
