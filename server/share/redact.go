package share

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gatescope/gatescope/server/exchange"
)

// Redacted replaces every secret value in exports and shared pages.
const Redacted = "[REDACTED]"

// DefaultHeaders are headers whose values are always redacted (unless
// redaction is off), also where their names show up in text ("Cookie: …"
// in a log line). Any header whose name matches SecretHeaderPattern is
// redacted too.
var DefaultHeaders = []string{"Authorization", "Cookie", "Set-Cookie", "X-Api-Key",
	"X-Amz-Security-Token", "Proxy-Authorization"}

// SecretHeaderPattern matches header names that carry credentials, however
// an API spells them: X-Auth-Token, Api-Key, X-CSRF-Token, X-Session-Id.
const SecretHeaderPattern = `(?i)(auth|token|secret|api-?key|session|csrf|signature|cookie)`

var secretHeader = regexp.MustCompile(SecretHeaderPattern)

// Rules configure redaction beyond the defaults.
type Rules struct {
	Off       bool     // no redaction at all (--no-redact)
	Headers   []string // more header names
	JSONPaths []string // paths into JSON bodies, events and outputs: "$.user.password", "items[*].token"
	Regexes   []string // anything matching is replaced, in every text
}

// Rule is one applied rule as an export records it.
type Rule struct {
	Type  string `json:"type"` // header, header-pattern, secret-names, aws-credentials, jwt, bearer, private-key, url-credentials, json, regex
	Match string `json:"match,omitempty"`
}

// Report says which rules an export applied and how many values they
// replaced.
type Report struct {
	Rules    []Rule `json:"rules"`
	Redacted int    `json:"redacted"`
	Disabled bool   `json:"disabled,omitempty"` // exported with --no-redact
}

// The built-in rules after the header names, as a Report lists them.
var builtinRules = []Rule{
	{Type: "header-pattern", Match: SecretHeaderPattern},
	{Type: "secret-names", Match: "JSON keys, query and form fields and NAME=value text ending in " +
		strings.Join(secretSuffixes, ", ") + "; exactly " + strings.Join(slices.Sorted(maps.Keys(secretExact)), ", ") +
		"; code in query and form"},
	{Type: "aws-credentials", Match: "AKIA/ASIA key ids, secret access keys"},
	{Type: "jwt", Match: "eyJ….….…"},
	{Type: "bearer", Match: "Bearer, Basic, Digest and Token credentials"},
	{Type: "private-key", Match: "-----BEGIN … PRIVATE KEY-----"},
	{Type: "url-credentials", Match: "scheme://user:password@"},
}

// Field names that hold secrets, compared without case and without "-",
// "_", "." and spaces: "DB_PASSWORD", "client_secret", "X-Amz-Signature",
// "refreshToken" all end in one of secretSuffixes.
var (
	secretSuffixes = []string{"password", "passwd", "passphrase", "secret", "token", "apikey", "privatekey",
		"secretkey", "secretaccesskey", "signature", "credential", "sessionid", "sessionkey", "cookie"}
	secretExact = map[string]bool{"pwd": true, "auth": true, "authorization": true, "session": true,
		"cookies": true, "credentials": true}
	// notSecret end like secrets but are cursors and idempotency keys that
	// debugging needs to see.
	notSecret = map[string]bool{"nexttoken": true, "continuationtoken": true, "paginationtoken": true,
		"pagetoken": true, "nextpagetoken": true, "clientrequesttoken": true, "idempotencytoken": true}
)

// normalName lowers a name and drops separators.
func normalName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == '.' || c == ' ':
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// SecretName reports whether a JSON key, a query or form field, or the
// NAME of NAME=value in text names a secret.
func SecretName(name string) bool {
	n := normalName(name)
	if notSecret[n] {
		return false
	}
	if secretExact[n] {
		return true
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// queryName is SecretName for query and form fields, plus OAuth's
// authorization "code" (a JSON "code" is an error code far more often).
func queryName(name string) bool {
	return SecretName(name) || normalName(name) == "code"
}

// Value shapes found in any text. The other shapes are hand-written
// scanners: Go's regexp runs its slow NFA over long texts, and a log is up
// to a megabyte; these two start with a literal, which it finds fast.
var (
	jwt        = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)
	privateKey = regexp.MustCompile(`-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----([A-Za-z0-9+/=\s\\]*)(-----END[A-Z0-9 ]*PRIVATE KEY-----)?`)
)

// Limits on the secrets collected from one exchange and scrubbed from all
// its text: enough for any real exchange, and bounded work for a hostile one.
const (
	maxSecrets   = 128
	maxSecretLen = 4096
)

// Redactor redacts copies of exchanges. It counts what it replaced, so use
// one per export or page; it is not safe for concurrent use.
//
// Redaction has two parts. Places: header values by name, JSON values by
// key (and the user's paths), query and form fields by name. Shapes: in
// every text, JWTs, AWS keys, bearer credentials, private keys, URL
// passwords, NAME=value pairs with secret names and the user's regexes.
// The values found in places are then scrubbed from every text of the
// exchange too: a token in a header also shows up in logs and echoes.
type Redactor struct {
	off        bool
	headers    map[string]bool // lower-case names
	paths      [][]string
	regexes    []*regexp.Regexp
	rules      []Rule
	count      int
	collecting bool            // the first pass: record place values, change nothing
	secrets    map[string]bool // values seen in redacted places, scrubbed from every text
	secretsBy  []string        // secrets longest first
}

// NewRedactor compiles rules; a bad regex or JSON path is an error naming it.
func NewRedactor(r Rules) (*Redactor, error) {
	rd := &Redactor{off: r.Off, headers: map[string]bool{}}
	if r.Off {
		return rd, nil
	}
	for _, h := range append(slices.Clone(DefaultHeaders), r.Headers...) {
		h = strings.TrimSpace(h)
		if h == "" || rd.headers[strings.ToLower(h)] {
			continue
		}
		rd.headers[strings.ToLower(h)] = true
		rd.rules = append(rd.rules, Rule{Type: "header", Match: h})
	}
	rd.rules = append(rd.rules, builtinRules...)
	for _, p := range r.JSONPaths {
		segs, err := parsePath(p)
		if err != nil {
			return nil, fmt.Errorf("redact json path %q: %w", p, err)
		}
		rd.paths = append(rd.paths, segs)
		rd.rules = append(rd.rules, Rule{Type: "json", Match: p})
	}
	for _, s := range r.Regexes {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("redact regex %q: %w", s, err)
		}
		rd.regexes = append(rd.regexes, re)
		rd.rules = append(rd.rules, Rule{Type: "regex", Match: s})
	}
	return rd, nil
}

// Report returns the rules applied and the count so far; nil when off.
func (rd *Redactor) Report() *Report {
	if rd.off {
		return nil
	}
	return &Report{Rules: slices.Clone(rd.rules), Redacted: rd.count}
}

// parsePath reads "$.a.b[0].c", "a.*.c" or "a[*]" into segments; "*"
// matches any key or index.
func parsePath(p string) ([]string, error) {
	p = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(p), "$"), ".")
	if p == "" {
		return nil, fmt.Errorf("empty path")
	}
	var segs []string
	for _, part := range strings.Split(p, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			segs = append(segs, name)
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			if !ok {
				return nil, fmt.Errorf("unclosed [ in %q", part)
			}
			if _, err := strconv.Atoi(idx); err != nil && idx != "*" {
				return nil, fmt.Errorf("index %q is not a number or *", idx)
			}
			segs = append(segs, idx)
			rest = strings.TrimPrefix(after, "[")
		}
		if name == "" && !strings.Contains(part, "[") {
			return nil, fmt.Errorf("empty segment")
		}
	}
	return segs, nil
}

// Exchange returns a redacted deep copy of x; x itself is never changed.
func (rd *Redactor) Exchange(x *exchange.Exchange) *exchange.Exchange {
	c := clone(x)
	if rd.off {
		return c
	}
	// First collect the values of redacted places, then redact, scrubbing
	// them from every text.
	rd.secrets = map[string]bool{}
	rd.collecting = true
	rd.exchange(c)
	rd.collecting = false
	rd.secretsBy = rd.secretsBy[:0]
	for s := range rd.secrets {
		rd.secretsBy = append(rd.secretsBy, s)
	}
	// Longest first: a secret that contains another is replaced whole.
	sort.Slice(rd.secretsBy, func(i, j int) bool {
		a, b := rd.secretsBy[i], rd.secretsBy[j]
		return len(a) > len(b) || len(a) == len(b) && a < b
	})
	rd.secretsBy = rd.secretsBy[:min(len(rd.secretsBy), maxSecrets)]
	rd.exchange(c)
	rd.secrets, rd.secretsBy = nil, nil
	return c
}

// exchange runs one pass over c's fields. While collecting it changes
// nothing.
func (rd *Redactor) exchange(c *exchange.Exchange) {
	rd.headerValues(c.Request.Headers)
	rd.headerValues(c.Response.Headers)
	docs := []*[]byte{(*[]byte)(&c.Event), (*[]byte)(&c.Function.RawResponse)}
	for _, d := range append(docs, authorizerDocs(c.Authorizer)...) {
		if len(*d) == 0 {
			continue
		}
		if out, ok := rd.doc(*d); ok {
			*d = out
		} else {
			*d = []byte(rd.Text(string(*d)))
		}
	}
	reqForm := isForm(c.Request.Headers)
	c.Request.Body = rd.body(c.Request.Body, c.Request.IsBase64, reqForm)
	c.Response.Body = rd.body(c.Response.Body, c.Response.IsBase64, isForm(c.Response.Headers))
	for i := range c.Frames { // a WebSocket frame holds what a body holds
		c.Frames[i].Data = rd.body(c.Frames[i].Data, false, false)
	}
	c.Request.URL = rd.url(c.Request.URL)
	c.Logs = rd.Text(c.Logs)
	c.Explanation = rd.Text(c.Explanation)
	c.Note = rd.Text(c.Note)
	rd.authorizerText(c.Authorizer)
	rd.mappingText(c.Mapping)
	if e := c.Function.Error; e != nil {
		e.Message = rd.Text(e.Message)
		for i := range e.StackTrace {
			e.StackTrace[i] = rd.Text(e.StackTrace[i])
		}
	}
}

// clone deep-copies an exchange: redaction must never reach stored data.
func clone(x *exchange.Exchange) *exchange.Exchange {
	c := *x
	c.Request.Headers = cloneHeaders(x.Request.Headers)
	c.Response.Headers = cloneHeaders(x.Response.Headers)
	c.Event = slices.Clone(x.Event)
	c.Function.RawResponse = slices.Clone(x.Function.RawResponse)
	c.Authorizer = cloneAuthorizer(x.Authorizer)
	c.Mapping = cloneMapping(x.Mapping)
	c.Frames = slices.Clone(x.Frames)
	if x.Function.Error != nil {
		e := *x.Function.Error
		e.StackTrace = slices.Clone(e.StackTrace)
		c.Function.Error = &e
	}
	return &c
}

func cloneHeaders(h map[string][]string) map[string][]string {
	if h == nil {
		return nil
	}
	c := maps.Clone(h)
	for k, v := range c {
		c[k] = slices.Clone(v)
	}
	return c
}

// headerName reports whether a header's values are secret.
func (rd *Redactor) headerName(name string) bool {
	return rd.headers[strings.ToLower(name)] || secretHeader.MatchString(name)
}

// secretKey reports whether the value under JSON key k, in the object
// under key parent, is secret. Inside an event's or output's headers the
// header rules apply; inside its query parameters, the query rules; and
// anywhere, secret names and the redacted header names.
func (rd *Redactor) secretKey(parent, k string) bool {
	switch strings.ToLower(parent) {
	case "headers", "multivalueheaders":
		return rd.headerName(k)
	case "querystringparameters", "multivaluequerystringparameters":
		return queryName(k)
	}
	return SecretName(k) || rd.headers[strings.ToLower(k)]
}

// replace is what a secret place's value becomes: Redacted, or, while
// collecting, the value itself, recorded.
func (rd *Redactor) replace(v string) string {
	if rd.collecting {
		rd.addSecret(v)
		return v
	}
	if v == Redacted {
		return v
	}
	rd.count++
	return Redacted
}

func (rd *Redactor) addSecret(v string) { rd.collect(v, false) }

// addDeclared collects a value found under a name the rules list as a
// credential (Authorization, an authorizer's identity source, ...): it is
// scrubbed wherever it echoes even when it is a plain word.
func (rd *Redactor) addDeclared(v string) { rd.collect(v, true) }

func (rd *Redactor) collect(v string, declared bool) {
	add := func(s string) {
		s = strings.TrimSpace(s)
		// Short or common values would replace innocent text everywhere;
		// a plain word counts only where the rules declare a credential.
		if len(s) < 6 || len(s) > maxSecretLen || strings.Contains(Redacted, s) ||
			!declared && len(s) < 12 && strings.IndexFunc(s, func(r rune) bool { return r < 'A' || r > 'z' || ('Z' < r && r < 'a') }) < 0 {
			return
		}
		rd.secrets[s] = true
	}
	add(v)
	// "Bearer abc", "Basic abc": the credential alone shows up too.
	if _, cred, ok := strings.Cut(v, " "); ok {
		add(cred)
	}
	// Cookies: each value on its own.
	for part := range strings.SplitSeq(v, ";") {
		if _, val, ok := strings.Cut(part, "="); ok {
			add(val)
		}
	}
}

// headerValues redacts header values: all of them under secret names,
// shapes in the rest.
func (rd *Redactor) headerValues(h map[string][]string) {
	for k, vs := range h {
		secret := rd.headerName(k)
		declared := rd.headers[strings.ToLower(k)]
		for i, v := range vs {
			if declared && rd.collecting {
				rd.addDeclared(v)
			}
			if secret {
				vs[i] = rd.replace(v)
			} else {
				vs[i] = rd.Text(v)
			}
		}
	}
}

// isForm reports whether headers declare a form body.
func isForm(h map[string][]string) bool {
	for k, vs := range h {
		if strings.EqualFold(k, "Content-Type") && len(vs) > 0 &&
			strings.HasPrefix(strings.ToLower(strings.TrimSpace(vs[0])), "application/x-www-form-urlencoded") {
			return true
		}
	}
	return false
}

// body redacts an HTTP body: JSON by place, forms by field, text by shape;
// base64 bodies after decoding, re-encoded only when they changed.
func (rd *Redactor) body(s string, isBase64, form bool) string {
	if !isBase64 {
		return rd.bodyText(s, form)
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return rd.Text(s)
	}
	var out string
	if utf8.Valid(raw) {
		out = rd.bodyText(string(raw), form)
	} else {
		out = rd.Text(string(raw)) // shapes hide in binary too
	}
	if out == string(raw) {
		return s
	}
	return base64.StdEncoding.EncodeToString([]byte(out))
}

// bodyText redacts a text body: a JSON document by place, a form (declared,
// or shaped like one) by field, and then any text by shape.
func (rd *Redactor) bodyText(s string, form bool) string {
	if t := strings.TrimSpace(s); len(t) >= 2 && (t[0] == '{' || t[0] == '[') {
		if out, ok := rd.doc([]byte(s)); ok {
			if len(out) == len(s) && string(out) == s {
				return s
			}
			return string(out)
		}
	}
	if form || looksForm(s) {
		s = rd.query(s)
	}
	return rd.Text(s)
}

// valueText redacts a JSON string value that is not itself secret: the
// JSON it holds, a query string, a (base64) body, a form or text.
func (rd *Redactor) valueText(key, s string) string {
	switch {
	case strings.EqualFold(key, "rawQueryString"):
		return rd.Text(rd.query(s))
	case strings.EqualFold(key, "body") && maybeBase64(s):
		// An event's or output's body with isBase64Encoded: a form or JSON
		// that a browser or a function sent as bytes.
		if raw, err := base64.StdEncoding.DecodeString(s); err == nil && utf8.Valid(raw) {
			out := rd.bodyText(string(raw), false)
			if out == string(raw) {
				return s
			}
			return base64.StdEncoding.EncodeToString([]byte(out))
		}
	}
	return rd.bodyText(s, false)
}

// maybeBase64 reports whether s could be standard base64 of a few bytes
// or more.
func maybeBase64(s string) bool {
	if len(s) < 8 || len(s)%4 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}

// looksForm reports whether s is shaped like a form body: name=value
// pairs joined with "&", no spaces.
func looksForm(s string) bool {
	s = strings.TrimRight(s, "\r\n")
	if s == "" || strings.ContainsAny(s, " \t\r\n\"{}<>") {
		return false
	}
	for part := range strings.SplitSeq(s, "&") {
		if part != "" && !strings.Contains(part, "=") {
			return false
		}
	}
	return strings.Contains(s, "=")
}

// query redacts the values of secret fields of a query string or form
// body, keeping everything else byte for byte.
func (rd *Redactor) query(q string) string {
	if !strings.Contains(q, "=") {
		return q
	}
	parts := strings.Split(q, "&")
	changed := false
	for i, part := range parts {
		name, val, ok := strings.Cut(part, "=")
		if !ok || val == "" {
			continue
		}
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if !queryName(name) {
			continue
		}
		plain := val
		if v, err := url.QueryUnescape(val); err == nil {
			plain = v
		}
		if nv := rd.replace(plain); nv != plain {
			parts[i] = part[:len(part)-len(val)] + nv
			changed = true
		}
	}
	if !changed {
		return q
	}
	return strings.Join(parts, "&")
}

// url redacts a request's path and query.
func (rd *Redactor) url(u string) string {
	path, q, ok := strings.Cut(u, "?")
	if !ok {
		return rd.Text(u)
	}
	return rd.Text(path + "?" + rd.query(q))
}

// Text redacts free text by shape (see Redactor), then scrubs the secrets
// found in places. While collecting it changes nothing.
func (rd *Redactor) Text(s string) string {
	if rd.off || rd.collecting || s == "" {
		return s
	}
	if len(rd.regexes) > 0 || mayHoldSecret(s) {
		s = rd.shapes(s)
	}
	for _, sec := range rd.secretsBy {
		if n := strings.Count(s, sec); n > 0 {
			s = strings.ReplaceAll(s, sec, Redacted)
			rd.count += n
		}
	}
	return s
}

// mayHoldSecret is a cheap test that s could match a shape: most JSON
// values and log lines cannot, and skip the regexps.
func mayHoldSecret(s string) bool {
	if len(s) >= 40 || strings.ContainsAny(s, ":=") {
		return true
	}
	for _, sub := range []string{"eyJ", "AKIA", "ASIA", "-----BEGIN"} {
		if strings.Contains(s, sub) {
			return true
		}
	}
	l := strings.ToLower(s)
	for _, sub := range []string{"bearer", "basic", "digest", "token"} {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

// shapes applies the shape rules to s, in an order where each rule sees
// the text before any later rule could have cut into a value. Each is
// linear in len(s).
func (rd *Redactor) shapes(s string) string {
	if strings.Contains(s, "-----BEGIN") {
		s = rd.regexpGroup(s, privateKey, 1, func(m string) bool { return strings.TrimSpace(m) != "" })
	}
	s = rd.namedValues(s)
	s = rd.urlPasswords(s)
	s = rd.bearers(s)
	if strings.Contains(s, "eyJ") {
		s = rd.regexpGroup(s, jwt, 0, nil)
	}
	s = rd.awsKeyIDs(s)
	s = rd.awsSecrets(s)
	for _, re := range rd.regexes {
		s = rd.regexpGroup(s, re, 0, nil)
	}
	return s
}

// spans replaces the spans [from, to) of s, in order and not overlapping,
// with Redacted, counting them.
type spans struct {
	b    strings.Builder
	last int
}

func (sp *spans) cut(rd *Redactor, s string, from, to int) {
	sp.b.WriteString(s[sp.last:from])
	sp.b.WriteString(Redacted)
	sp.last = to
	rd.count++
}

func (sp *spans) result(s string) string {
	if sp.last == 0 && sp.b.Len() == 0 {
		return s
	}
	sp.b.WriteString(s[sp.last:])
	return sp.b.String()
}

// regexpGroup replaces submatch g of every match of re with Redacted (when
// ok accepts it, and it is not Redacted already).
func (rd *Redactor) regexpGroup(s string, re *regexp.Regexp, g int, ok func(string) bool) string {
	var ms [][]int
	if g == 0 {
		ms = re.FindAllStringIndex(s, -1)
	} else {
		ms = re.FindAllStringSubmatchIndex(s, -1)
	}
	var sp spans
	for _, m := range ms {
		from, to := m[2*g], m[2*g+1]
		if from < 0 || from < sp.last {
			continue
		}
		if v := s[from:to]; v == "" || strings.HasPrefix(v, Redacted) || (ok != nil && !ok(v)) {
			continue
		}
		sp.cut(rd, s, from, to)
	}
	return sp.result(s)
}

func isNameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
}

func isWordChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// explicitHeader reports whether name, or its end after a "-", "_" or
// ".", is one of the redacted header names ("X-Tenant" in "my-X-Tenant").
func (rd *Redactor) explicitHeader(name string) bool {
	for {
		if rd.headers[strings.ToLower(name)] {
			return true
		}
		i := strings.IndexAny(name, "-_.")
		if i < 0 {
			return false
		}
		name = name[i+1:]
	}
}

// quoteIndex finds closing quotes for namedValues. A search runs to the
// end of the text, so its answer holds for every later start before the
// quote found: remembering it keeps a text full of unclosed quotes linear.
type quoteIndex map[string][2]int // closing → {searched from, found at or -1}

func (q quoteIndex) find(s string, from int, closing string) int {
	if c, ok := q[closing]; ok && c[0] <= from && (c[1] < 0 || c[1] >= from) {
		return c[1]
	}
	at := strings.Index(s[from:], closing)
	if at >= 0 {
		at += from
	}
	q[closing] = [2]int{from, at}
	return at
}

// valueStops end an unquoted value.
const valueStops = " \t\r\n\"'\\&,;"

// namedValues redacts the value of every NAME=value and NAME: value whose
// name is secret (SecretName, or a redacted header name): env dumps, query
// strings, YAML, logged objects and JSON inside text. A quoted value runs
// to its closing quote; a header line ("X-Auth-Token: Bearer x") to the
// end of the line; any other value to a space, quote or separator.
func (rd *Redactor) namedValues(s string) string {
	var sp spans
	quotes := quoteIndex{}
	for i := 0; i < len(s); i++ {
		sep := s[i]
		if sep != ':' && sep != '=' {
			continue
		}
		// The name: [ \t]*, maybe a (backslash-escaped) quote, then name
		// characters; the last 64 of a longer run are enough to judge it.
		j := i
		for j > sp.last && (s[j-1] == ' ' || s[j-1] == '\t') {
			j--
		}
		if j > sp.last && (s[j-1] == '"' || s[j-1] == '\'') {
			j--
			if j > sp.last && s[j-1] == '\\' {
				j--
			}
		}
		end := j
		for j > sp.last && end-j < 64 && isNameChar(s[j-1]) {
			j--
		}
		name := s[j:end]
		if name == "" {
			continue
		}
		header := rd.explicitHeader(name)
		if !header && !SecretName(name) {
			continue
		}
		// The value: [ \t]*, maybe a (backslash-escaped) quote.
		k := i + 1
		for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
			k++
		}
		closing := ""
		switch {
		case k+1 < len(s) && s[k] == '\\' && (s[k+1] == '"' || s[k+1] == '\''):
			closing, k = s[k:k+2], k+2
		case k < len(s) && (s[k] == '"' || s[k] == '\''):
			closing, k = s[k:k+1], k+1
		}
		from := k
		if from >= len(s) || strings.IndexByte(valueStops+"=?:", s[from]) >= 0 || strings.HasPrefix(s[from:], Redacted) {
			continue
		}
		to := -1
		switch {
		case closing != "":
			to = quotes.find(s, from, closing)
		case sep == ':' && (header || rd.headerName(name)):
			if to = strings.IndexAny(s[from:], "\r\n"); to < 0 {
				to = len(s) - from
			}
			to += from
		}
		if to < 0 {
			// Unquoted (or never closed): past "=", ":" and "?" too, as a
			// password may hold them.
			if to = strings.IndexAny(s[from:], valueStops); to < 0 {
				to = len(s) - from
			}
			to += from
		}
		sp.cut(rd, s, from, to)
		i = to - 1
	}
	return sp.result(s)
}

// urlPasswords redacts the password of scheme://user:password@host.
func (rd *Redactor) urlPasswords(s string) string {
	var sp spans
	for at := 0; ; {
		n := strings.Index(s[at:], "://")
		if n < 0 {
			break
		}
		p := at + n
		at = p + 3
		j := p
		for j > sp.last && (isWordChar(s[j-1]) || s[j-1] == '+' || s[j-1] == '.' || s[j-1] == '-') {
			j--
		}
		if j == p || !('a' <= s[j]|32 && s[j]|32 <= 'z') {
			continue
		}
		k := p + 3
		for k < len(s) && !strings.ContainsRune(" \t\r\n:/?#@\"'<>\\", rune(s[k])) {
			k++
		}
		if k >= len(s) || s[k] != ':' {
			continue
		}
		from := k + 1
		to := from
		for to < len(s) && !strings.ContainsRune(" \t\r\n/?#@\"'<>\\", rune(s[to])) {
			to++
		}
		if to == from || to >= len(s) || s[to] != '@' || strings.HasPrefix(s[from:], Redacted) {
			continue
		}
		sp.cut(rd, s, from, to)
		at = to
	}
	return sp.result(s)
}

// bearers redacts the credential after an HTTP authentication scheme in
// text ("Bearer x", "basic x", "Token x"): eight or more token characters
// with a digit or symbol, so "Basic authentication" stays.
func (rd *Redactor) bearers(s string) string {
	var sp spans
	for i := 0; i < len(s); i++ {
		n := 0
		for _, kw := range []string{"bearer", "basic", "digest", "token"} {
			if len(s)-i > len(kw) && s[i]|32 == kw[0] && strings.EqualFold(s[i:i+len(kw)], kw) {
				n = len(kw)
				break
			}
		}
		if n == 0 || (i > 0 && isWordChar(s[i-1])) {
			continue
		}
		j := i + n
		if s[j] != ' ' && s[j] != '\t' {
			continue
		}
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		k := j
		for k < len(s) && (isWordChar(s[k]) || strings.IndexByte("._~+/=-", s[k]) >= 0) {
			k++
		}
		if cred := s[j:k]; len(cred) < 8 || !strings.ContainsAny(cred, "0123456789._~+/=-") {
			continue
		}
		sp.cut(rd, s, j, k)
		i = k - 1
	}
	return sp.result(s)
}

// awsKeyIDs redacts access key ids: AKIA (long-term) or ASIA (temporary)
// and 16 more upper-case letters or digits, as a word.
func (rd *Redactor) awsKeyIDs(s string) string {
	var sp spans
	for i := 0; i+20 <= len(s); i++ {
		if s[i] != 'A' || (s[i+1:i+4] != "KIA" && s[i+1:i+4] != "SIA") || (i > 0 && isWordChar(s[i-1])) ||
			(i+20 < len(s) && isWordChar(s[i+20])) {
			continue
		}
		ok := true
		for _, c := range []byte(s[i+4 : i+20]) {
			if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
				ok = false
				break
			}
		}
		if ok {
			sp.cut(rd, s, i, i+20)
			i += 19
		}
	}
	return sp.result(s)
}

// awsSecrets redacts runs of exactly 40 base64 characters with upper and
// lower case letters and a digit, "+" or "/": the shape of an AWS secret
// access key. Hex digests (lower case only) and longer base64 (binary
// bodies) are not that shape.
func (rd *Redactor) awsSecrets(s string) string {
	if len(s) < 40 {
		return s
	}
	var sp spans
	for i := 0; i < len(s); {
		if !isBase64Char(s[i]) {
			i++
			continue
		}
		j := i
		var upper, lower, other bool
		for j < len(s) && isBase64Char(s[j]) {
			c := s[j]
			upper = upper || 'A' <= c && c <= 'Z'
			lower = lower || 'a' <= c && c <= 'z'
			other = other || '0' <= c && c <= '9' || c == '+' || c == '/'
			j++
		}
		if j-i == 40 && upper && lower && other && (j == len(s) || s[j] != '=') {
			sp.cut(rd, s, i, j)
		}
		i = j
	}
	return sp.result(s)
}

func isBase64Char(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}
