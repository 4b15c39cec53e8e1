package share

import (
	"encoding/base64"
	"fmt"
	"maps"
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

// DefaultHeaders are the headers whose values are always redacted (unless
// redaction is off): credentials a debug session must never leak.
var DefaultHeaders = []string{"Authorization", "Cookie", "Set-Cookie", "X-Api-Key",
	"X-Amz-Security-Token", "Proxy-Authorization"}

// Rules configure redaction beyond the defaults.
type Rules struct {
	Off       bool     // no redaction at all (--no-redact)
	Headers   []string // more header names
	JSONPaths []string // paths into JSON bodies, events and outputs: "$.user.password", "items[*].token"
	Regexes   []string // anything matching is replaced, in every text
}

// Rule is one applied rule as an export records it.
type Rule struct {
	Type  string `json:"type"` // header, aws-credentials, json, regex
	Match string `json:"match,omitempty"`
}

// Report says which rules an export applied and how many values they
// replaced.
type Report struct {
	Rules    []Rule `json:"rules"`
	Redacted int    `json:"redacted"`
	Disabled bool   `json:"disabled,omitempty"` // exported with --no-redact
}

// awsCredentials match credentials in any text: access key ids, and the
// value after a secret key or session token name (env dumps, JSON, YAML,
// INI, escaped JSON inside JSON strings).
var (
	awsKeyID     = regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`)
	awsKeyedPair = regexp.MustCompile(`(?i)((?:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key|aws_?session_?token|aws_?security_?token|session_?token|x-amz-security-token)[\\"']*\s*[:=]\s*[\\"']*)([A-Za-z0-9/+=]{8,})`)
)

// awsSecretName matches JSON keys that hold AWS secrets, whatever their
// value looks like.
var awsSecretName = regexp.MustCompile(`^(?:aws_?)?(?:secret_?access_?key|secret_?key|session_?token|security_?token)$`)

// Redactor redacts copies of exchanges. It counts what it replaced, so use
// one per export or page; it is not safe for concurrent use.
type Redactor struct {
	off       bool
	headers   map[string]bool // lower-case names
	headerKV  *regexp.Regexp  // "name: value" in text
	paths     [][]string
	regexes   []*regexp.Regexp
	rules     []Rule
	count     int
	secrets   map[string]bool // values seen in redacted places, scrubbed from every text
	secretsBy []string        // secrets longest first
}

// NewRedactor compiles rules; a bad regex or JSON path is an error naming it.
func NewRedactor(r Rules) (*Redactor, error) {
	rd := &Redactor{off: r.Off, headers: map[string]bool{}}
	if r.Off {
		return rd, nil
	}
	var names []string
	for _, h := range append(slices.Clone(DefaultHeaders), r.Headers...) {
		h = strings.TrimSpace(h)
		if h == "" || rd.headers[strings.ToLower(h)] {
			continue
		}
		rd.headers[strings.ToLower(h)] = true
		names = append(names, regexp.QuoteMeta(strings.ToLower(h)))
		rd.rules = append(rd.rules, Rule{Type: "header", Match: h})
	}
	// Longest names first so "set-cookie" wins over "cookie".
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	rd.headerKV = regexp.MustCompile(`(?i)(\b(?:` + strings.Join(names, "|") + `)[\\"']*\s*[:=]\s*[\\"']*)([^\\"'\r\n]+)`)
	rd.rules = append(rd.rules, Rule{Type: "aws-credentials"})
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
	rd.secrets = map[string]bool{}
	// First collect the values of redacted places, then scrub them from
	// every text: a token also shows up in logs and echoed bodies.
	rd.collectHeaders(c.Request.Headers)
	rd.collectHeaders(c.Response.Headers)
	docs := []*[]byte{(*[]byte)(&c.Event), (*[]byte)(&c.Function.RawResponse)}
	for _, d := range docs {
		if n, err := parseNode(*d); err == nil {
			rd.collectNode(n, rd.paths)
		}
	}
	for _, body := range []struct {
		s   string
		b64 bool
	}{{c.Request.Body, c.Request.IsBase64}, {c.Response.Body, c.Response.IsBase64}} {
		if t, ok := bodyText(body.s, body.b64); ok {
			if n, err := parseNode([]byte(t)); err == nil {
				rd.collectNode(n, rd.paths)
			}
		}
	}
	rd.secretsBy = rd.secretsBy[:0]
	for s := range rd.secrets {
		rd.secretsBy = append(rd.secretsBy, s)
	}
	sort.Slice(rd.secretsBy, func(i, j int) bool { return len(rd.secretsBy[i]) > len(rd.secretsBy[j]) })

	rd.redactHeaders(c.Request.Headers)
	rd.redactHeaders(c.Response.Headers)
	for _, d := range docs {
		*d = rd.doc(*d)
	}
	c.Request.Body = rd.body(c.Request.Body, c.Request.IsBase64)
	c.Response.Body = rd.body(c.Response.Body, c.Response.IsBase64)
	for i := range c.Frames { // a WebSocket frame holds what a body holds
		c.Frames[i].Data = rd.body(c.Frames[i].Data, false)
	}
	c.Request.URL = rd.Text(c.Request.URL)
	c.Logs = rd.Text(c.Logs)
	c.Explanation = rd.Text(c.Explanation)
	c.Note = rd.Text(c.Note)
	if e := c.Function.Error; e != nil {
		e.Message = rd.Text(e.Message)
		for i := range e.StackTrace {
			e.StackTrace[i] = rd.Text(e.StackTrace[i])
		}
	}
	return c
}

// clone deep-copies an exchange: redaction must never reach stored data.
func clone(x *exchange.Exchange) *exchange.Exchange {
	c := *x
	c.Request.Headers = cloneHeaders(x.Request.Headers)
	c.Response.Headers = cloneHeaders(x.Response.Headers)
	c.Event = slices.Clone(x.Event)
	c.Function.RawResponse = slices.Clone(x.Function.RawResponse)
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

func (rd *Redactor) addSecret(v string) {
	v = strings.TrimSpace(v)
	// Short values would replace innocent text everywhere.
	if len(v) < 4 || v == Redacted {
		return
	}
	rd.secrets[v] = true
	// "Bearer abc", "Basic abc": the credential alone shows up too.
	if _, cred, ok := strings.Cut(v, " "); ok && len(strings.TrimSpace(cred)) >= 4 {
		rd.secrets[strings.TrimSpace(cred)] = true
	}
	// Cookies: each value on its own.
	for _, part := range strings.Split(v, ";") {
		if _, val, ok := strings.Cut(part, "="); ok && len(strings.TrimSpace(val)) >= 4 {
			rd.secrets[strings.TrimSpace(val)] = true
		}
	}
}

func (rd *Redactor) collectHeaders(h map[string][]string) {
	for k, vs := range h {
		if rd.headers[strings.ToLower(k)] {
			for _, v := range vs {
				rd.addSecret(v)
			}
		}
	}
}

// collectNode records secrets in a JSON document: values under redacted
// header names (events carry headers, multiValueHeaders and cookies),
// values at JSON paths, and the same inside strings that hold JSON.
func (rd *Redactor) collectNode(n *node, paths [][]string) {
	rd.walk(n, func(key string, v *node) {
		if rd.redactKey(key) {
			rd.collectStrings(v)
		}
	})
	for _, p := range paths {
		matchPath(n, p, func(v *node) { rd.collectStrings(v) })
	}
	rd.walk(n, func(_ string, v *node) {
		if v.kind == '"' {
			if inner, ok := nestedJSON(v.str); ok {
				rd.collectNode(inner, paths)
			}
		}
	})
}

func (rd *Redactor) collectStrings(v *node) {
	switch v.kind {
	case '"':
		rd.addSecret(v.str)
	case '[', '{':
		for _, c := range v.vals {
			rd.collectStrings(c)
		}
	}
}

// redactKey reports whether a JSON key holds secrets: a redacted header
// name, or the event's cookies list when cookies are redacted.
func (rd *Redactor) redactKey(key string) bool {
	k := strings.ToLower(key)
	return rd.headers[k] || (k == "cookies" && rd.headers["cookie"]) || awsSecretName.MatchString(k)
}

// walk calls fn for every value with the key it sits under ("" in arrays).
func (rd *Redactor) walk(n *node, fn func(key string, v *node)) {
	switch n.kind {
	case '{':
		for i, v := range n.vals {
			fn(n.keys[i], v)
			rd.walk(v, fn)
		}
	case '[':
		for _, v := range n.vals {
			fn("", v)
			rd.walk(v, fn)
		}
	}
}

func matchPath(n *node, segs []string, fn func(*node)) {
	if len(segs) == 0 {
		fn(n)
		return
	}
	seg := segs[0]
	switch n.kind {
	case '{':
		for i, k := range n.keys {
			if seg == "*" || k == seg {
				matchPath(n.vals[i], segs[1:], fn)
			}
		}
	case '[':
		if i, err := strconv.Atoi(seg); err == nil {
			if i >= 0 && i < len(n.vals) {
				matchPath(n.vals[i], segs[1:], fn)
			}
			return
		}
		for _, v := range n.vals {
			if seg == "*" {
				matchPath(v, segs[1:], fn)
			} else {
				matchPath(v, segs, fn) // arrays are transparent to key segments
			}
		}
	}
}

// nestedJSON parses a string that holds a JSON object or array (an event's
// body, a function output's body).
func nestedJSON(s string) (*node, bool) {
	t := strings.TrimSpace(s)
	if len(t) < 2 || (t[0] != '{' && t[0] != '[') {
		return nil, false
	}
	n, err := parseNode([]byte(t))
	return n, err == nil
}

func (rd *Redactor) redactHeaders(h map[string][]string) {
	for k, vs := range h {
		if rd.headers[strings.ToLower(k)] {
			for i, v := range vs {
				if v != Redacted {
					vs[i] = Redacted
					rd.count++
				}
			}
			continue
		}
		for i, v := range vs {
			vs[i] = rd.Text(v)
		}
	}
}

// doc redacts a JSON document, keeping its bytes when nothing changed and
// treating invalid JSON as text.
func (rd *Redactor) doc(b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	n, err := parseNode(b)
	if err != nil {
		return []byte(rd.Text(string(b)))
	}
	if !rd.node(n, rd.paths) {
		return b
	}
	return n.bytes()
}

// node redacts a parsed document in place and reports whether it changed.
func (rd *Redactor) node(n *node, paths [][]string) bool {
	changed := false
	for _, p := range paths {
		matchPath(n, p, func(v *node) {
			if v.kind != '"' || v.str != Redacted {
				*v = node{kind: '"', str: Redacted}
				rd.count++
				changed = true
			}
		})
	}
	var fix func(key string, v *node)
	fix = func(key string, v *node) {
		if rd.redactKey(key) {
			if rd.replaceStrings(v) {
				changed = true
			}
			return
		}
		switch v.kind {
		case '"':
			if inner, ok := nestedJSON(v.str); ok {
				if rd.node(inner, paths) {
					v.str, changed = string(inner.bytes()), true
				}
				return
			}
			if t := rd.Text(v.str); t != v.str {
				v.str, changed = t, true
			}
		case '{':
			for i, c := range v.vals {
				fix(v.keys[i], c)
			}
		case '[':
			for _, c := range v.vals {
				fix("", c)
			}
		}
	}
	fix("", n)
	return changed
}

// replaceStrings replaces every string under v (a header's value or list
// of values) with Redacted.
func (rd *Redactor) replaceStrings(v *node) bool {
	switch v.kind {
	case '"':
		if v.str != Redacted {
			v.str = Redacted
			rd.count++
			return true
		}
	case '[', '{':
		changed := false
		for _, c := range v.vals {
			changed = rd.replaceStrings(c) || changed
		}
		return changed
	}
	return false
}

// body redacts an HTTP body: JSON structurally, other text by pattern,
// base64 bodies after decoding (re-encoded only when they changed).
func (rd *Redactor) body(s string, isBase64 bool) string {
	if !isBase64 {
		if n, ok := nestedJSON(s); ok {
			if rd.node(n, rd.paths) {
				return string(n.bytes())
			}
			return s
		}
		return rd.Text(s)
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return rd.Text(s)
	}
	var out string
	if utf8.Valid(raw) {
		out = rd.body(string(raw), false)
	} else {
		out = string(rd.bytesText(raw))
	}
	if out == string(raw) {
		return s
	}
	return base64.StdEncoding.EncodeToString([]byte(out))
}

// bodyText returns a body as text when it is text (decoding base64).
func bodyText(s string, isBase64 bool) (string, bool) {
	if !isBase64 {
		return s, true
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || !utf8.Valid(raw) {
		return "", false
	}
	return string(raw), true
}

// Text redacts free text: secrets seen in redacted places, "Name: value"
// for redacted headers, AWS credentials and the user's regexes.
func (rd *Redactor) Text(s string) string {
	if rd.off || s == "" {
		return s
	}
	for _, sec := range rd.secretsBy {
		if n := strings.Count(s, sec); n > 0 {
			s = strings.ReplaceAll(s, sec, Redacted)
			rd.count += n
		}
	}
	return string(rd.bytesText([]byte(s)))
}

func (rd *Redactor) bytesText(b []byte) []byte {
	keep := func(re *regexp.Regexp) {
		b = re.ReplaceAllFunc(b, func(m []byte) []byte {
			sub := re.FindSubmatch(m)
			if string(sub[2]) == Redacted {
				return m
			}
			rd.count++
			return append(append([]byte{}, sub[1]...), Redacted...)
		})
	}
	keep(rd.headerKV)
	keep(awsKeyedPair)
	for _, re := range append([]*regexp.Regexp{awsKeyID}, rd.regexes...) {
		b = re.ReplaceAllFunc(b, func(m []byte) []byte {
			if string(m) == Redacted {
				return m
			}
			rd.count++
			return []byte(Redacted)
		})
	}
	return b
}
