package ui

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
)

// Hosts is the set of Host header values that name the dashboard. A
// request for any other host is refused: a page whose domain an attacker
// rebinds to 127.0.0.1 reaches the listener with its own name as Host, and
// is turned away before any handler runs (DNS rebinding). IP literals
// cannot be rebound, so the address a connection arrived on is always
// accepted (a dashboard listening on 0.0.0.0 answers on every interface).
type Hosts struct {
	port string
	// named are names and addresses accepted with the listener's port.
	named map[string]bool
	// anyPort are configured names accepted on any port (a reverse proxy,
	// a container's port mapping); exact are configured host:port pairs.
	anyPort, exact map[string]bool
	base           string
}

// NewHosts returns the hosts of a dashboard listening on addr: its own
// address, localhost, 127.0.0.1 and [::1] with its port; when it listens
// on every interface (0.0.0.0, [::]) also the machine's addresses and host
// name; and each of allowed, a name or address with or without a port (no
// port: any port).
func NewHosts(addr net.Addr, allowed []string) (*Hosts, error) {
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return nil, fmt.Errorf("dashboard address %v is not TCP", addr)
	}
	h := &Hosts{port: fmt.Sprint(ta.Port), named: map[string]bool{}, anyPort: map[string]bool{}, exact: map[string]bool{}}
	for _, n := range []string{"localhost", "127.0.0.1", "::1"} {
		h.named[n] = true
	}
	ip := ta.IP
	if !ip.IsUnspecified() {
		h.named[normalHost(ip.String())] = true
	}
	if !ip.IsLoopback() {
		if name, err := os.Hostname(); err == nil && name != "" {
			h.named[normalHost(name)] = true
		}
	}
	var lan []netip.Addr
	if ip.IsUnspecified() {
		lan = interfaceAddrs()
		for _, a := range lan {
			h.named[a.String()] = true
		}
	}
	for _, a := range allowed {
		host, port, err := splitAllowed(a)
		if err != nil {
			return nil, err
		}
		if port == "" {
			h.anyPort[host] = true
		} else {
			h.exact[net.JoinHostPort(host, port)] = true
		}
	}
	h.base = "http://" + net.JoinHostPort(baseHost(ip, lan), h.port)
	return h, nil
}

// baseHost is the host links and the banner name: the address listened on,
// or for every interface, the first LAN address (the reason to listen
// beyond loopback is to be reached from elsewhere), else 127.0.0.1.
func baseHost(ip net.IP, lan []netip.Addr) string {
	if !ip.IsUnspecified() {
		return ip.String()
	}
	for _, a := range lan {
		if a.Is4() && !a.IsLoopback() && !a.IsLinkLocalUnicast() {
			return a.String()
		}
	}
	return "127.0.0.1"
}

// interfaceAddrs are the machine's addresses, as Host header values would
// spell them.
func interfaceAddrs() []netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr().WithZone(""))
		}
	}
	slices.SortStableFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return out
}

// splitAllowed reads one --allowed-host value.
func splitAllowed(s string) (host, port string, err error) {
	bad := func(why string) (string, string, error) {
		return "", "", fmt.Errorf("--allowed-host %q: %s", s, why)
	}
	if strings.Contains(s, "/") {
		return bad("want a host name or address, with or without :port, not a URL")
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil { // an address without a port, even ::1
		return a.WithZone("").String(), "", nil
	}
	host = s
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
		if _, err := netip.ParseAddrPort("0.0.0.0:" + p); err != nil {
			return bad("the port is not a number from 0 to 65535")
		}
	}
	host = normalHost(host)
	if _, err := netip.ParseAddr(host); err == nil {
		return host, port, nil
	}
	if host == "" || strings.ContainsAny(host, " :@") {
		return bad("want a host name or address, with or without :port")
	}
	return host, port, nil
}

// normalHost is a host compared as names compare: lower case, without
// IPv6 brackets, a zone or a final dot.
func normalHost(h string) string {
	h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
	if a, err := netip.ParseAddr(h); err == nil {
		return a.WithZone("").String()
	}
	return h
}

// splitHost splits a Host header value; without a port it is HTTP's 80.
func splitHost(hostport, defaultPort string) (host, port string) {
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		return normalHost(h), p
	}
	return normalHost(hostport), defaultPort
}

// Allowed reports whether hostport (a Host header value, or an Origin's
// host) names the dashboard for a request r arrived with.
func (h *Hosts) Allowed(r *http.Request, hostport string) bool {
	return h.allowed(r, hostport, "80")
}

func (h *Hosts) allowed(r *http.Request, hostport, defaultPort string) bool {
	host, port := splitHost(hostport, defaultPort)
	switch {
	case host == "":
		return false
	case h.exact[net.JoinHostPort(host, port)], h.anyPort[host]:
		return true
	case port == h.port && h.named[host]:
		return true
	}
	// The address the connection arrived on names this machine, whatever
	// interfaces it had when gatescope started.
	if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if lp, err := netip.ParseAddrPort(local.String()); err == nil {
			a, err := netip.ParseAddr(host)
			return err == nil && a.Unmap() == lp.Addr().Unmap().WithZone("") && port == fmt.Sprint(lp.Port())
		}
	}
	return false
}

// CheckOrigin reports whether r's Origin, when it has one, is one of the
// dashboard's own origins. Clients that send no Origin (the AWS CLI and
// SDKs, curl) are not browsers and pass. It is the live feed's websocket
// check: gorilla's default only compares Origin with Host, which a
// rebinding page satisfies.
func (h *Hosts) CheckOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Path != "" {
		return false // "null" (a sandboxed frame, a file:) included
	}
	switch u.Scheme {
	case "http":
		return h.allowed(r, u.Host, "80")
	case "https": // a TLS proxy in front, configured with --allowed-host
		return h.allowed(r, u.Host, "443")
	}
	return false
}

// BaseURL is the dashboard's URL for links it hands out (share links) and
// the banner: http://<address>:<port> as it listens, with a LAN address
// in place of 0.0.0.0 or [::]. It never comes from a request's Host.
func (h *Hosts) BaseURL() string { return h.base }
