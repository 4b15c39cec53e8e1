package authz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Keys finds the signing keys of JWT issuers: from serve --jwks
// ISSUER=FILE_OR_URL (or ISSUER=local, the local issuer's keys; ISSUER
// may be * for every issuer), else by OIDC discovery at the issuer
// (<issuer>/.well-known/openid-configuration, then its jwks_uri). Fetched
// keys are kept for keysTTL and fetched again sooner when a token names a
// kid they lack.
type Keys struct {
	sources map[string]string // issuer (or "*") → file, URL or "local"
	local   func() (*Issuer, error)
	client  *http.Client
	now     func() time.Time

	mu      sync.Mutex
	entries map[string]*keyEntry
}

type keyEntry struct {
	keys      *jose.JSONWebKeySet
	from      string
	fetched   time.Time
	modTime   time.Time // of a file source
	err       error
	refreshed time.Time // last fetch forced by an unknown kid
}

// How long fetched keys are kept, and how often an unknown kid may force
// a fetch.
const (
	keysTTL        = 10 * time.Minute
	keysMinRefetch = 30 * time.Second
	fetchTimeout   = 5 * time.Second
)

// NewKeys returns the key sources for --jwks entries (ISSUER=FILE_OR_URL,
// ISSUER=local). local loads the local issuer when an entry needs it.
// Files are read now, so a wrong path fails at start.
func NewKeys(entries []string, local func() (*Issuer, error), now func() time.Time) (*Keys, error) {
	k := &Keys{sources: map[string]string{}, local: local, now: now, entries: map[string]*keyEntry{},
		client: &http.Client{Timeout: fetchTimeout}}
	for _, e := range entries {
		// The issuer is a URL itself: split at the last "=".
		i := strings.LastIndex(e, "=")
		if i <= 0 || i == len(e)-1 {
			return nil, fmt.Errorf("--jwks %q: want ISSUER=FILE_OR_URL, or ISSUER=local", e)
		}
		iss, src := strings.TrimSuffix(e[:i], "/"), e[i+1:]
		if iss == "" {
			iss = e[:i]
		}
		k.sources[iss] = src
		switch {
		case src == "local":
			if _, err := local(); err != nil {
				return nil, fmt.Errorf("--jwks %s=local: %w", iss, err)
			}
		case isURL(src):
		default:
			if _, _, err := readJWKSFile(src); err != nil {
				return nil, fmt.Errorf("--jwks %s: %w", e, err)
			}
		}
	}
	return k, nil
}

func isURL(s string) bool { return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") }

// Source says where an issuer's keys come from, for explanations.
func (k *Keys) Source(issuer string) string {
	src, ok := k.source(issuer)
	switch {
	case !ok:
		return "OIDC discovery at " + strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	case src == "local":
		return "the local issuer (gatescope token)"
	}
	return src
}

func (k *Keys) source(issuer string) (string, bool) {
	if src, ok := k.sources[strings.TrimSuffix(issuer, "/")]; ok {
		return src, true
	}
	src, ok := k.sources["*"]
	return src, ok
}

// For returns the issuer's keys. kid, when the cached keys lack it, makes
// a URL or discovery source fetch again (at most every 30 s), as keys
// rotate.
func (k *Keys) For(ctx context.Context, issuer, kid string) (*jose.JSONWebKeySet, error) {
	src, configured := k.source(issuer)
	if configured && src == "local" {
		iss, err := k.local()
		if err != nil {
			return nil, err
		}
		return iss.JWKS(), nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	e := k.entries[issuer]
	if configured && !isURL(src) {
		return k.fromFile(issuer, src, e)
	}
	fresh := e != nil && now.Sub(e.fetched) < keysTTL
	missing := e != nil && e.err == nil && kid != "" && len(e.keys.Key(kid)) == 0
	if fresh && !(missing && now.Sub(e.refreshed) >= keysMinRefetch) {
		return e.keys, e.err
	}
	var keys *jose.JSONWebKeySet
	var from string
	var err error
	if configured {
		from = src
		keys, err = k.fetch(ctx, src)
	} else {
		keys, from, err = k.discover(ctx, issuer)
	}
	if err != nil && e != nil && e.err == nil {
		// Keep serving the keys we had; say nothing new.
		return e.keys, nil
	}
	ne := &keyEntry{keys: keys, from: from, fetched: now, err: err}
	if missing {
		ne.refreshed = now
	}
	k.entries[issuer] = ne
	return keys, err
}

func (k *Keys) fromFile(issuer, path string, e *keyEntry) (*jose.JSONWebKeySet, error) {
	keys, mod, err := readJWKSFile(path)
	if err == nil && e != nil && e.err == nil && mod.Equal(e.modTime) {
		return e.keys, nil
	}
	k.entries[issuer] = &keyEntry{keys: keys, from: path, modTime: mod, err: err, fetched: k.now()}
	return keys, err
}

// readJWKSFile reads a JWKS ({"keys":[...]}) or a single JWK.
func readJWKSFile(path string) (*jose.JSONWebKeySet, time.Time, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read JWKS: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read JWKS: %w", err)
	}
	keys, err := parseJWKS(data)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: %w", path, err)
	}
	return keys, st.ModTime(), nil
}

func parseJWKS(data []byte) (*jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(data, &set); err == nil && len(set.Keys) > 0 {
		return publicOnly(&set), nil
	}
	var one jose.JSONWebKey
	if err := one.UnmarshalJSON(data); err == nil && one.Key != nil {
		return publicOnly(&jose.JSONWebKeySet{Keys: []jose.JSONWebKey{one}}), nil
	}
	return nil, errors.New(`not a JWKS: want {"keys":[{"kty":...,"kid":...},...]}`)
}

// publicOnly drops private parts: verification needs none.
func publicOnly(set *jose.JSONWebKeySet) *jose.JSONWebKeySet {
	out := &jose.JSONWebKeySet{}
	for _, k := range set.Keys {
		out.Keys = append(out.Keys, k.Public())
	}
	return out
}

func (k *Keys) fetch(ctx context.Context, url string) (*jose.JSONWebKeySet, error) {
	body, err := k.get(ctx, url)
	if err != nil {
		return nil, err
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	return keys, nil
}

// discover finds the issuer's jwks_uri by OIDC discovery and fetches it.
func (k *Keys) discover(ctx context.Context, issuer string) (*jose.JSONWebKeySet, string, error) {
	conf := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	body, err := k.get(ctx, conf)
	if err != nil {
		return nil, conf, err
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.JWKSURI == "" {
		return nil, conf, fmt.Errorf("%s has no jwks_uri", conf)
	}
	keys, err := k.fetch(ctx, doc.JWKSURI)
	return keys, doc.JWKSURI, err
}

func (k *Keys) get(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: HTTP %d", url, resp.StatusCode)
	}
	return body, nil
}
