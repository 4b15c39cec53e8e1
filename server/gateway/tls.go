package gateway

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Functions reach the @connections API the way AWS's samples write them:
// https://<requestContext.domainName>/<stage>. domainName is the host the
// client used (127.0.0.1:3000), so the API listener answers TLS on its own
// port: each connection's first byte says which (0x16 opens a TLS
// handshake; no HTTP request starts with it). The certificate comes from a
// CA made at start, whose certificate, added to the machine's roots, is the
// bundle function processes trust through AWS_CA_BUNDLE (botocore, the Go
// SDK), NODE_EXTRA_CA_CERTS (Node.js) and SSL_CERT_FILE (Go, OpenSSL). The
// key never leaves memory; nothing is added to the machine's trust store.

// TLS is the API listener's HTTPS side.
type TLS struct {
	config *tls.Config
	caPEM  []byte
}

// NewTLS makes a CA and a certificate for the names and addresses the API
// listener is reached by: localhost, *.localhost (each API's own host),
// the loopback addresses, and hosts (the listen address, the machine's
// name).
func NewTLS(hosts ...string) (*TLS, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("make local CA key: %w", err)
	}
	ca := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "gatescope local CA", Organization: []string{"gatescope"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(30 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true, MaxPathLenZero: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("make local CA: %w", err)
	}
	ca, _ = x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("make TLS key: %w", err)
	}
	leaf := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(30 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost", "*.localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			if !ip.IsUnspecified() {
				leaf.IPAddresses = append(leaf.IPAddresses, ip)
			}
		} else if h != "" {
			leaf.DNSNames = append(leaf.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("make TLS certificate: %w", err)
	}
	return &TLS{
		config: &tls.Config{
			Certificates: []tls.Certificate{{Certificate: [][]byte{der, caDER}, PrivateKey: key}},
			NextProtos:   []string{"http/1.1"},
			MinVersion:   tls.VersionTLS12,
		},
		caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
	}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

// CAPEM is the CA certificate, PEM-encoded.
func (t *TLS) CAPEM() []byte { return t.caPEM }

// systemRoots are where Linux distributions and macOS keep the CA bundle
// (the files Go's crypto/x509 reads).
var systemRoots = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/pki/tls/cacert.pem",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/cert.pem",
}

// WriteBundle writes, in dir, the CA bundle functions trust: the
// machine's roots (and any bundle the user's environment already names),
// so calls to AWS still verify, plus gatescope's CA. It returns the
// bundle's path.
func (t *TLS) WriteBundle(dir string) (string, error) {
	var b bytes.Buffer
	seen := map[string]bool{"": true}
	for _, p := range []string{os.Getenv("AWS_CA_BUNDLE"), os.Getenv("SSL_CERT_FILE"), os.Getenv("NODE_EXTRA_CA_CERTS")} {
		if !seen[p] {
			seen[p] = true
			appendFile(&b, p)
		}
	}
	for _, p := range systemRoots {
		if seen[p] || appendFile(&b, p) {
			break
		}
	}
	b.Write(t.caPEM)
	path := filepath.Join(dir, "ca-bundle.pem")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("write CA bundle: %w", err)
	}
	return path, nil
}

func appendFile(b *bytes.Buffer, path string) bool {
	data, err := os.ReadFile(path)
	if err != nil || len(data) == 0 {
		return false
	}
	b.Write(data)
	if data[len(data)-1] != '\n' {
		b.WriteByte('\n')
	}
	return true
}

// Listener makes ln answer TLS and plain HTTP alike.
func (t *TLS) Listener(ln net.Listener) net.Listener { return sniffListener{ln, t.config} }

type sniffListener struct {
	net.Listener
	config *tls.Config
}

func (l sniffListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &sniffConn{Conn: c, config: l.config}, nil
}

// sniffConn decides on its first read whether the client speaks TLS. The
// server reads first, in the connection's own goroutine (under its header
// deadline), so the accept loop never waits on a client.
type sniffConn struct {
	net.Conn
	config *tls.Config
	once   sync.Once
	rw     io.ReadWriter
	err    error
	// tls is set once the connection turned out to be TLS; Close may run
	// on another goroutine meanwhile.
	tls atomic.Pointer[tls.Conn]
}

func (c *sniffConn) detect() {
	var b [1]byte
	n, err := c.Conn.Read(b[:])
	if n == 0 {
		c.err = err
		return
	}
	pre := &prefixConn{Conn: c.Conn, pre: b[:1]}
	if b[0] == 0x16 {
		tc := tls.Server(pre, c.config)
		c.tls.Store(tc)
		c.rw = tc
		return
	}
	c.rw = pre
}

func (c *sniffConn) Read(p []byte) (int, error) {
	c.once.Do(c.detect)
	if c.err != nil {
		return 0, c.err
	}
	return c.rw.Read(p)
}

func (c *sniffConn) Write(p []byte) (int, error) {
	c.once.Do(c.detect)
	if c.err != nil {
		return 0, c.err
	}
	return c.rw.Write(p)
}

// Close sends TLS's close_notify first when the connection is TLS.
func (c *sniffConn) Close() error {
	if tc := c.tls.Load(); tc != nil {
		return tc.Close()
	}
	return c.Conn.Close()
}

// prefixConn replays bytes already read before reading on.
type prefixConn struct {
	net.Conn
	pre []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}
