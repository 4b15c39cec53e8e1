package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/gatescope/gatescope/server/access"
	"github.com/gatescope/gatescope/server/authz"
	gsconfig "github.com/gatescope/gatescope/server/config"
)

// accessFlags are serve's access-control flags.
type accessFlags struct {
	jwks, apiKeys, iamCredentials stringList
	issuerKey                     string
}

func (f *accessFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.jwks, "jwks", "where a JWT or Cognito authorizer's issuer keeps its keys, as `ISSUER=FILE_OR_URL` (a JWKS); "+
		"ISSUER=local uses the keys gatescope token signs with, and * stands for every issuer (repeatable, or comma separated). "+
		"Without it, keys are found by OIDC discovery at the issuer")
	fs.Var(&f.apiKeys, "api-key", "an API key `VALUE` REST routes that require one accept, besides the template's AWS::ApiGateway::ApiKey values (repeatable, or comma separated)")
	fs.Var(&f.iamCredentials, "iam-credential", "AWS access keys `KEYID=SECRET` that SigV4-signed requests to AWS_IAM routes may use, besides the environment's and the AWS profile's (repeatable, or comma separated)")
	fs.StringVar(&f.issuerKey, "issuer-key", authz.DefaultIssuerKey, "the local token issuer's key `FILE` (created when missing; gatescope token signs with it)")
}

// issuerLoader loads the local issuer once, when first needed.
func issuerLoader(path string) func() (*authz.Issuer, error) {
	var once sync.Once
	var iss *authz.Issuer
	var err error
	return func() (*authz.Issuer, error) {
		once.Do(func() { iss, err = authz.LoadIssuer(path) })
		return iss, err
	}
}

// newAccess builds the gateway's access control from the project and the
// flags.
func newAccess(logger *slog.Logger, project *gsconfig.Project, invoker authz.Invoker, f accessFlags, issuer func() (*authz.Issuer, error)) (*authz.Service, error) {
	b, err := newAccessBuilder(logger, invoker, f, issuer)
	if err != nil {
		return nil, err
	}
	return b.build(project), nil
}

// accessBuilder builds access control for a project with the keys and
// credentials the flags name, read once: a reload builds it again for the
// new template.
type accessBuilder struct {
	logger  *slog.Logger
	invoker authz.Invoker
	keys    *authz.Keys
	creds   []access.Credential
	apiKeys []string
}

func newAccessBuilder(logger *slog.Logger, invoker authz.Invoker, f accessFlags, issuer func() (*authz.Issuer, error)) (*accessBuilder, error) {
	keys, err := authz.NewKeys(splitList(f.jwks), issuer, time.Now)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	creds, err := iamCredentials(splitList(f.iamCredentials))
	if err != nil {
		return nil, err
	}
	return &accessBuilder{logger: logger, invoker: invoker, keys: keys, creds: creds, apiKeys: splitList(f.apiKeys)}, nil
}

func (b *accessBuilder) build(p *gsconfig.Project) *authz.Service {
	return authz.New(p, authz.Options{Logger: b.logger, Invoker: b.invoker, Keys: b.keys, APIKeys: b.apiKeys, Credentials: b.creds})
}

// iamCredentials are the credentials SigV4 requests may be signed with:
// --iam-credential pairs, the environment's (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) and the current AWS profile's
// static keys. Nothing is fetched: no IMDS, SSO or credential process.
func iamCredentials(flags []string) ([]access.Credential, error) {
	var out []access.Credential
	for _, kv := range flags {
		id, secret, ok := strings.Cut(kv, "=")
		if !ok || id == "" || secret == "" {
			return nil, fmt.Errorf("%w: --iam-credential %q: want KEYID=SECRET", errUsage, kv)
		}
		out = append(out, access.Credential{AccessKeyID: id, SecretAccessKey: secret})
	}
	if id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		out = append(out, access.Credential{AccessKeyID: id, SecretAccessKey: secret, SessionToken: os.Getenv("AWS_SESSION_TOKEN")})
	}
	profile := os.Getenv("AWS_PROFILE")
	if profile == "" {
		profile = "default"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if sc, err := config.LoadSharedConfigProfile(ctx, profile); err == nil && sc.Credentials.HasKeys() {
		out = append(out, access.Credential{AccessKeyID: sc.Credentials.AccessKeyID, SecretAccessKey: sc.Credentials.SecretAccessKey,
			SessionToken: sc.Credentials.SessionToken})
	}
	return out, nil
}

// identityHeaders are the headers the project's authorizers read
// credentials from (X-Token, ...): share pages and exports redact them.
func identityHeaders(p *gsconfig.Project) []string {
	var out []string
	for _, a := range p.APIs {
		for _, az := range a.Authorizers {
			for _, src := range az.IdentitySources {
				if src.Kind == "header" && !slices.Contains(out, src.Name) {
					out = append(out, src.Name)
				}
			}
		}
	}
	return out
}
