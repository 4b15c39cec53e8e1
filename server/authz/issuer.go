package authz

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"github.com/go-jose/go-jose/v4"
)

// Issuer is gatescope's local token issuer: an RSA key kept in a file, so
// that `gatescope token` signs tokens a running `serve` verifies. Its
// public keys are served on the UI address at /.well-known/jwks.json, and
// `serve --jwks ISSUER=local` makes any issuer's tokens verify with them.
type Issuer struct {
	key *rsa.PrivateKey
	kid string
}

// DefaultIssuerKey is where the local issuer's key is kept, beside the
// default database.
const DefaultIssuerKey = ".gatescope/issuer-key.json"

// LoadIssuer reads the issuer's key from path (a private JWK), creating
// it (0600) when it does not exist.
func LoadIssuer(path string) (*Issuer, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createIssuer(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read issuer key %s: %w", path, err)
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("issuer key %s is not a JWK: %w", path, err)
	}
	key, ok := jwk.Key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("issuer key %s is not an RSA private key", path)
	}
	return &Issuer{key: key, kid: jwk.KeyID}, nil
}

func createIssuer(path string) (*Issuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate issuer key: %w", err)
	}
	sum := sha256.Sum256(key.PublicKey.N.Bytes())
	iss := &Issuer{key: key, kid: "gatescope-" + base64.RawURLEncoding.EncodeToString(sum[:6])}
	data, err := json.Marshal(jose.JSONWebKey{Key: key, KeyID: iss.kid, Algorithm: string(jose.RS256), Use: "sig"})
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create issuer key: %w", err)
	}
	// O_EXCL: when serve and token start together, one key wins and the
	// other reads it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadIssuer(path)
	}
	if err != nil {
		return nil, fmt.Errorf("create issuer key: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, fmt.Errorf("write issuer key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write issuer key %s: %w", path, err)
	}
	return iss, nil
}

// JWKS is the issuer's public key set.
func (i *Issuer) JWKS() *jose.JSONWebKeySet {
	return &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &i.key.PublicKey, KeyID: i.kid, Algorithm: string(jose.RS256), Use: "sig"}}}
}

// Sign returns a compact RS256 JWT of claims, with the issuer's kid.
func (i *Issuer) Sign(claims map[string]any) (string, error) {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: i.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", i.kid))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	obj, err := s.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// WellKnown serves the local issuer as an OIDC issuer at base (the UI
// address): /.well-known/openid-configuration names base as the issuer
// and /.well-known/jwks.json as its keys, so a JWT authorizer whose
// issuer is the UI address finds gatescope token's keys by discovery.
// load is called on first use.
func WellKnown(load func() (*Issuer, error), base string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v any
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			v = map[string]any{"issuer": base, "jwks_uri": base + "/.well-known/jwks.json",
				"id_token_signing_alg_values_supported": []string{"RS256"}, "response_types_supported": []string{"token"},
				"subject_types_supported": []string{"public"}}
		default:
			iss, err := load()
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			v = iss.JWKS()
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(v)
	})
}
