package access

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Credential is a pair of AWS access keys requests may be signed with
// locally, and the identity API Gateway reports for it.
type Credential struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken, when set, must be sent as X-Amz-Security-Token.
	SessionToken string
	// AccountID and UserARN are what requestContext.identity says.
	AccountID string
	UserARN   string
	// PrincipalID is the caller's unique id (an IAM user's AIDA...).
	PrincipalID string
}

// SignedRequest is what a SigV4 check reads from a request.
type SignedRequest struct {
	Method   string
	RawPath  string // as sent, percent-encoded
	RawQuery string
	Host     string
	Header   http.Header
	Body     []byte
	// Region and Service are what the credential scope must name.
	Region, Service string
}

// SigError is a request API Gateway refuses for its signature: the
// message and x-amzn-ErrorType it answers with, and our explanation.
type SigError struct {
	// Missing is set when the request carries no signature at all.
	Missing     bool
	Type        string // x-amzn-ErrorType
	Message     string // the answer's message, as API Gateway writes it
	Explanation string
}

// MaxSkew is how far X-Amz-Date may be from now.
const MaxSkew = 15 * time.Minute

const sigMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

// VerifySigV4 checks a request signed with AWS Signature Version 4, in the
// Authorization header or presigned in the query: it recomputes the
// signature with aws-sdk-go-v2's signer over the headers the client
// signed, using the secret of the access key id the request names, and
// compares the two in constant time. lookup finds a local credential.
func VerifySigV4(r SignedRequest, lookup func(accessKeyID string) (Credential, bool), now time.Time) (Credential, *SigError) {
	q, _ := url.ParseQuery(r.RawQuery)
	presigned := q.Get("X-Amz-Signature") != ""
	var auth sigParams
	var err *SigError
	if presigned {
		auth, err = queryParams(q)
	} else {
		h := r.Header.Get("Authorization")
		if h == "" {
			return Credential{}, &SigError{Missing: true, Type: "MissingAuthenticationTokenException", Message: "Missing Authentication Token",
				Explanation: "the route uses IAM authorization (AWS_IAM) and the request is not signed: sign it with SigV4 (aws-sdk's signer, curl --aws-sigv4, awscurl) using credentials gatescope knows"}
		}
		auth, err = headerParams(h)
		if err == nil {
			auth.date = r.Header.Get("X-Amz-Date")
			if auth.date == "" {
				auth.date = r.Header.Get("Date")
			}
		}
	}
	if err != nil {
		return Credential{}, err
	}

	// Credential scope: KEYID/20240101/us-east-1/execute-api/aws4_request.
	scope := strings.Split(auth.credential, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return Credential{}, &SigError{Type: "IncompleteSignatureException", Message: "Credential should be scoped to a valid region. ",
			Explanation: fmt.Sprintf("the signature's Credential %q is not KEYID/DATE/REGION/SERVICE/aws4_request", auth.credential)}
	}
	keyID, day, region, service := scope[0], scope[1], scope[2], scope[3]
	signedAt, perr := time.Parse("20060102T150405Z", auth.date)
	if perr != nil {
		return Credential{}, &SigError{Type: "IncompleteSignatureException", Message: "Date must be in ISO-8601 'basic format'. Got '" + auth.date + "'. See http://en.wikipedia.org/wiki/ISO_8601",
			Explanation: fmt.Sprintf("X-Amz-Date %q is not a SigV4 time such as 20240101T120000Z", auth.date)}
	}
	cred, ok := lookup(keyID)
	if !ok {
		return Credential{}, &SigError{Type: "UnrecognizedClientException", Message: "The security token included in the request is invalid.",
			Explanation: fmt.Sprintf("access key %s is not one gatescope knows: sign with the credentials in its environment (AWS_ACCESS_KEY_ID, the AWS profile) or add them with serve --iam-credential KEYID=SECRET", keyID)}
	}
	if token := firstOf(r.Header.Get("X-Amz-Security-Token"), q.Get("X-Amz-Security-Token")); token != cred.SessionToken {
		return Credential{}, &SigError{Type: "UnrecognizedClientException", Message: "The security token included in the request is invalid.",
			Explanation: fmt.Sprintf("the request's X-Amz-Security-Token is not the session token of access key %s", keyID)}
	}
	if service != r.Service {
		return Credential{}, &SigError{Type: "InvalidSignatureException", Message: fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", r.Service),
			Explanation: fmt.Sprintf("the request is signed for service %q; API Gateway checks signatures for %q", service, r.Service)}
	}
	if region != r.Region {
		return Credential{}, &SigError{Type: "InvalidSignatureException",
			Message:     "Credential should be scoped to a valid region. ",
			Explanation: fmt.Sprintf("the request is signed for region %s; the API is in %s", region, r.Region)}
	}
	if day != signedAt.Format("20060102") {
		return Credential{}, &SigError{Type: "InvalidSignatureException", Message: fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", day, signedAt.Format("20060102"), auth.date),
			Explanation: "the credential scope's date is not the day of X-Amz-Date"}
	}
	nowS := now.UTC().Format("20060102T150405Z")
	switch {
	case presigned:
		if e := checkExpires(q.Get("X-Amz-Expires"), signedAt, now); e != nil {
			return Credential{}, e
		}
	case signedAt.Before(now.Add(-MaxSkew)):
		return Credential{}, &SigError{Type: "InvalidSignatureException",
			Message:     fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)", auth.date, now.Add(-MaxSkew).UTC().Format("20060102T150405Z"), nowS),
			Explanation: fmt.Sprintf("the request was signed %s ago; a signature is good for 15 minutes: sign each request when it is sent", Ago(now.Sub(signedAt)))}
	case signedAt.After(now.Add(MaxSkew)):
		return Credential{}, &SigError{Type: "InvalidSignatureException",
			Message:     fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)", auth.date, now.Add(MaxSkew).UTC().Format("20060102T150405Z"), nowS),
			Explanation: fmt.Sprintf("the request is signed %s in the future: is the signing machine's clock wrong?", Ago(signedAt.Sub(now)))}
	}

	want, e := recompute(r, auth, cred, region, service, signedAt, presigned)
	if e != nil {
		return Credential{}, e
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(auth.signature)) != 1 {
		return Credential{}, &SigError{Type: "InvalidSignatureException", Message: sigMismatch,
			Explanation: fmt.Sprintf("the signature does not match the request signed with access key %s's secret over headers %s: the secret differs, or the request changed after signing (path, query, a signed header, the body)",
				keyID, strings.Join(auth.signedHeaders, ";"))}
	}
	return cred, nil
}

type sigParams struct {
	credential, signature, date string
	signedHeaders               []string
}

// headerParams reads "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
func headerParams(h string) (sigParams, *SigError) {
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != "AWS4-HMAC-SHA256" {
		return sigParams{}, &SigError{Type: "IncompleteSignatureException",
			Message:     "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + h,
			Explanation: "the route uses IAM authorization (AWS_IAM) and the Authorization header is not a SigV4 signature (AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...)"}
	}
	var p sigParams
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			p.credential = v
		case "SignedHeaders":
			p.signedHeaders = strings.Split(v, ";")
		case "Signature":
			p.signature = v
		}
	}
	var missing []string
	for _, m := range []struct{ name, v string }{{"Credential", p.credential}, {"Signature", p.signature}, {"SignedHeaders", strings.Join(p.signedHeaders, ";")}} {
		if m.v == "" {
			missing = append(missing, "Authorization header requires '"+m.name+"' parameter.")
		}
	}
	if len(missing) > 0 {
		return sigParams{}, &SigError{Type: "IncompleteSignatureException", Message: strings.Join(missing, " ") + " Authorization=" + h,
			Explanation: "the SigV4 Authorization header lacks " + strings.Join(missing, " ")}
	}
	return p, nil
}

func queryParams(q url.Values) (sigParams, *SigError) {
	p := sigParams{credential: q.Get("X-Amz-Credential"), signature: q.Get("X-Amz-Signature"), date: q.Get("X-Amz-Date"),
		signedHeaders: strings.Split(q.Get("X-Amz-SignedHeaders"), ";")}
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" || p.credential == "" || p.date == "" || q.Get("X-Amz-SignedHeaders") == "" {
		return sigParams{}, &SigError{Type: "IncompleteSignatureException",
			Message:     "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.",
			Explanation: "the presigned URL lacks X-Amz-Algorithm, X-Amz-Credential, X-Amz-SignedHeaders or X-Amz-Date"}
	}
	return p, nil
}

func checkExpires(v string, signedAt, now time.Time) *SigError {
	var secs int
	if _, err := fmt.Sscan(v, &secs); err != nil || secs <= 0 {
		return nil // no X-Amz-Expires: the usual skew applies below
	}
	if now.After(signedAt.Add(time.Duration(secs) * time.Second)) {
		return &SigError{Type: "AccessDeniedException", Message: "Request has expired",
			Explanation: fmt.Sprintf("the presigned URL expired %s ago (X-Amz-Expires %d s)", Ago(now.Sub(signedAt.Add(time.Duration(secs)*time.Second))), secs)}
	}
	return nil
}

// recompute signs a copy of the request the way the client did and returns
// the signature. Only the headers the client signed are kept (the SDK's
// signer signs every header it is given), and Content-Length is given
// only when signed (the signer adds it whenever the length is known).
func recompute(r SignedRequest, auth sigParams, cred Credential, region, service string, signedAt time.Time, presigned bool) (string, *SigError) {
	signed := map[string]bool{}
	for _, h := range auth.signedHeaders {
		signed[strings.ToLower(h)] = true
	}
	if !signed["host"] {
		return "", &SigError{Type: "InvalidSignatureException", Message: sigMismatch,
			Explanation: "the signature does not sign the host header, which SigV4 requires"}
	}
	q, _ := url.ParseQuery(r.RawQuery)
	if presigned {
		q.Del("X-Amz-Signature")
	}
	u := &url.URL{Scheme: "https", Host: r.Host, Path: unescape(r.RawPath), RawPath: r.RawPath, RawQuery: q.Encode()}
	req := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: http.Header{}}
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if signed[lk] && lk != "content-length" {
			req.Header[k] = slices.Clone(vs)
		}
	}
	if signed["content-length"] {
		req.ContentLength = int64(len(r.Body))
	}
	hash := r.Header.Get("X-Amz-Content-Sha256")
	sum := sha256.Sum256(r.Body)
	body := hex.EncodeToString(sum[:])
	switch {
	case hash == "":
		hash = body
	case hash != "UNSIGNED-PAYLOAD" && !strings.EqualFold(hash, body):
		return "", &SigError{Type: "InvalidSignatureException", Message: sigMismatch,
			Explanation: "X-Amz-Content-Sha256 is not the SHA-256 of the body: the body changed after signing"}
	}
	if presigned && r.Header.Get("X-Amz-Content-Sha256") == "" {
		hash = "UNSIGNED-PAYLOAD" // how presigned URLs sign their payload
	}
	creds := aws.Credentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: cred.SecretAccessKey, SessionToken: cred.SessionToken}
	signer := v4.NewSigner()
	if presigned {
		uri, _, err := signer.PresignHTTP(context.Background(), creds, req, hash, service, region, signedAt)
		if err != nil {
			return "", &SigError{Type: "InvalidSignatureException", Message: sigMismatch, Explanation: "the request cannot be signed again: " + err.Error()}
		}
		pu, err := url.Parse(uri)
		if err != nil {
			return "", &SigError{Type: "InvalidSignatureException", Message: sigMismatch, Explanation: err.Error()}
		}
		return pu.Query().Get("X-Amz-Signature"), nil
	}
	if err := signer.SignHTTP(context.Background(), creds, req, hash, service, region, signedAt); err != nil {
		return "", &SigError{Type: "InvalidSignatureException", Message: sigMismatch, Explanation: "the request cannot be signed again: " + err.Error()}
	}
	_, sig, _ := strings.Cut(req.Header.Get("Authorization"), "Signature=")
	return sig, nil
}

func unescape(p string) string {
	if u, err := url.PathUnescape(p); err == nil {
		return u
	}
	return p
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
