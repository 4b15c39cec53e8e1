package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/textproto"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/jsonview"
)

// Class says how a replay turned out next to its original.
type Class string

// The classes of a Diff. A failure is an outcome other than ok or a 5xx
// status: a function that answers 500 itself fails for its client too.
const (
	ClassSame         Class = "same"
	ClassChanged      Class = "changed"
	ClassNewlyFailing Class = "newly failing"
	ClassNewlyPassing Class = "newly passing"
)

// Change is one field that differs. Values are shown as text: statuses and
// header values as they are, JSON values in JSON syntax, non-JSON bodies
// whole. Kind is "changed", "added" (only After) or "removed" (only Before).
type Change struct {
	Path   string `json:"path"`
	Before string `json:"before"`
	After  string `json:"after"`
	Kind   string `json:"kind"`
}

// Diff compares a replay with its original, field by field.
type Diff struct {
	Original string   `json:"original"`
	Replay   string   `json:"replay"`
	Class    Class    `json:"class"`
	Changes  []Change `json:"changes"`
	// Incomplete says why the comparison stopped before the end (more than
	// MaxChanges changes, or more work than the bodies' size warrants);
	// Changes then holds what was found until then. "" when complete.
	Incomplete string `json:"incomplete,omitempty"`
	// Since is the deployment the difference dates from, when the replay
	// ran on a later deployment than the original and one between them
	// changed what it runs (see Verdict).
	Since *Since `json:"since,omitempty"`
}

// MaxChanges bounds the changes a diff lists: past it the comparison
// stops, as no one reads more and a page must not render them all.
const MaxChanges = 1000

// Same reports whether nothing but volatile or ignored fields differ. An
// incomplete diff is never the same.
func (d *Diff) Same() bool { return len(d.Changes) == 0 && d.Incomplete == "" }

// Has reports whether path itself changed. It scans the changes: to test
// many paths, build a set.
func (d *Diff) Has(path string) bool {
	for _, c := range d.Changes {
		if c.Path == path {
			return true
		}
	}
	return false
}

// Expect is what a replay must keep to count as unchanged.
type Expect string

const (
	// ExpectSame: any change counts, a newly passing exchange too.
	ExpectSame Expect = "same"
	// ExpectStatus: only a changed status or a newly failing exchange
	// counts; newly passing is what a fix looks like.
	ExpectStatus Expect = "status"
)

// ParseExpect checks an --expect value.
func ParseExpect(s string) (Expect, error) {
	switch Expect(s) {
	case ExpectSame, ExpectStatus:
		return Expect(s), nil
	}
	return "", fmt.Errorf("expect %q: want same or status", s)
}

// Breaks reports whether the diff breaks expectation e.
func (d *Diff) Breaks(e Expect) bool {
	switch d.Class {
	case ClassSame:
		return false
	case ClassNewlyFailing:
		return true
	case ClassNewlyPassing:
		return e != ExpectStatus
	default:
		return e != ExpectStatus || d.Has("status")
	}
}

// VolatileHeaders differ on every request; they are never compared.
var VolatileHeaders = []string{"Date", "Apigw-Requestid", "X-Amzn-Requestid", "X-Amz-Apigw-Id", "X-Amzn-Trace-Id"}

// VolatileKeys are JSON keys whose values differ on every request (compared
// case-insensitively, at any depth).
var VolatileKeys = []string{"requestId", "requestTime", "requestTimeEpoch", "time", "timeEpoch", "traceId", "awsRequestId", "date"}

// volatileValue matches whole string values that are ids or clocks: UUIDs,
// RFC 3339 times, API Gateway's requestTime and X-Ray trace ids.
var volatileValue = regexp.MustCompile(`^(?:` + volatileAlternatives + `)$`)

// volatileText finds the same inside text bodies and header values.
var volatileText = regexp.MustCompile(volatileAlternatives)

const volatileAlternatives = `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}` +
	`|\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})` +
	`|\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}` +
	`|(?:Root=)?1-[0-9a-f]{8}-[0-9a-f]{24}`

// Compare diffs a replay against its original: status, outcome, headers and
// body (JSON-aware; a string holding JSON is compared as that JSON). When
// only one of them went through an API (an event replayed straight to the
// function), the function outputs are compared instead, under "output".
// Volatile fields are skipped, and so is every path that an ignore
// pattern matches. A pattern is a path ("headers.X-Cache", "body.items[*].id",
// "body.meta"; "*" matches within one path segment, "**" across segments)
// or a bare name, which matches a header name or a JSON key at any depth.
// Ignoring a path ignores everything under it.
//
// Bodies are compared as JSON only when nested at most jsonview.MaxDepth
// (512) deep, else as text. The work is bounded (see Diff.Incomplete).
func Compare(orig, rep *exchange.Exchange, ignore []string) *Diff {
	d, _ := CompareContext(context.Background(), orig, rep, ignore)
	return d
}

// CompareContext is Compare that stops, with ctx's error, when ctx ends:
// a page whose client left stops diffing.
func CompareContext(ctx context.Context, orig, rep *exchange.Exchange, ignore []string) (*Diff, error) {
	c := &comparer{ctx: ctx, ign: compileIgnore(ignore)}
	c.budget = workPerByte*(len(orig.Response.Body)+len(rep.Response.Body)+
		len(orig.Function.RawResponse)+len(rep.Function.RawResponse)) + minWork
	if (orig.RouteKey == "") != (rep.RouteKey == "") {
		// One went through an API, the other straight to the function (an
		// event replay): only the function's outputs compare.
		c.field("outcome", string(orig.Outcome), string(rep.Outcome))
		c.output(orig.Function.RawResponse, rep.Function.RawResponse)
	} else {
		c.field("status", strconv.Itoa(orig.Response.Status), strconv.Itoa(rep.Response.Status))
		c.field("outcome", string(orig.Outcome), string(rep.Outcome))
		n := len(c.changes)
		c.body(orig.Response, rep.Response)
		bodyChanged := len(c.changes) > n || c.incomplete != ""
		c.headers(orig.Response.Headers, rep.Response.Headers, bodyChanged)
	}
	if c.err != nil {
		return nil, c.err
	}
	// Show in reading order: status, outcome, headers, body.
	slices.SortStableFunc(c.changes, func(a, b Change) int { return rank(a.Path) - rank(b.Path) })
	d := &Diff{Original: orig.ID, Replay: rep.ID, Changes: c.changes, Incomplete: c.incomplete}
	if d.Changes == nil {
		d.Changes = []Change{}
	}
	d.Class = classify(orig, rep, d.Same())
	return d, nil
}

// The comparison's work budget, in steps (a value visited, a byte of a
// path matched against an ignore pattern or parsed): linear in the bodies,
// generous for any real body, and a stop for the superlinear corners
// (deep paths matched against many patterns).
const (
	workPerByte = 64
	minWork     = 1 << 20
)

func rank(path string) int {
	switch {
	case path == "status":
		return 0
	case path == "outcome":
		return 1
	case path == "output" || strings.HasPrefix(path, "output.") || strings.HasPrefix(path, "output["):
		return 4
	case strings.HasPrefix(path, "headers."):
		return 2
	}
	return 3
}

func classify(orig, rep *exchange.Exchange, same bool) Class {
	before, after := orig.Failed(), rep.Failed()
	switch {
	case !before && after:
		return ClassNewlyFailing
	case before && !after:
		return ClassNewlyPassing
	case !same:
		return ClassChanged
	}
	return ClassSame
}

type comparer struct {
	ctx        context.Context
	ign        []ignoreRule
	changes    []Change
	path       []byte // the path of the JSON value being compared
	steps      int
	budget     int
	incomplete string // why the comparison stopped early
	err        error  // ctx's error: the comparison was abandoned
}

// stopped reports whether the comparison must go no further.
func (c *comparer) stopped() bool { return c.incomplete != "" || c.err != nil }

// work counts n steps of work, checks ctx now and then, and stops the
// comparison when the budget is spent.
func (c *comparer) work(n int) bool {
	before := c.steps
	c.steps += n
	if c.steps>>12 != before>>12 { // every 4096 steps
		if err := c.ctx.Err(); err != nil && c.err == nil {
			c.err = err
		}
	}
	if c.steps > c.budget && c.incomplete == "" {
		c.incomplete = "the comparison took more work than bodies this size need; the rest was not compared"
	}
	return !c.stopped()
}

func (c *comparer) add(path, before, after, kind string) {
	if c.stopped() {
		return
	}
	if len(c.changes) >= MaxChanges {
		c.incomplete = fmt.Sprintf("more than %d changes: only the first %d are listed", MaxChanges, MaxChanges)
		return
	}
	c.changes = append(c.changes, Change{Path: path, Before: before, After: after, Kind: kind})
}

func (c *comparer) field(path, before, after string) {
	if before != after && !c.ignored([]byte(path), "") {
		c.add(path, before, after, "changed")
	}
}

// headers compares header values (multiple values joined with ", ") after
// masking volatile ids in them. Content-Length follows the body: when the
// body is the same but for volatile values, its length is no news.
func (c *comparer) headers(a, b map[string][]string, bodyChanged bool) {
	names, ca, cb := JoinedHeaders(a, b)
	for _, k := range names {
		if isVolatileHeader(k) || (k == "Content-Length" && !bodyChanged) {
			continue
		}
		path := "headers." + k
		if c.ignored([]byte(path), k) {
			continue
		}
		va, okA := ca[k]
		vb, okB := cb[k]
		switch {
		case !okA:
			c.add(path, "", vb, "added")
		case !okB:
			c.add(path, va, "", "removed")
		case maskVolatile(va) != maskVolatile(vb):
			c.add(path, va, vb, "changed")
		}
	}
}

// JoinedHeaders lines two header sets up for comparison: every name found in
// either, canonical and sorted, and each side's values joined with ", ".
func JoinedHeaders(a, b map[string][]string) (names []string, before, after map[string]string) {
	before, after = joined(a), joined(b)
	for k := range before {
		names = append(names, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return names, before, after
}

func joined(h map[string][]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, vs := range h {
		k = textproto.CanonicalMIMEHeaderKey(k)
		if prev, ok := out[k]; ok {
			out[k] = prev + ", " + strings.Join(vs, ", ")
		} else {
			out[k] = strings.Join(vs, ", ")
		}
	}
	return out
}

func isVolatileHeader(name string) bool {
	for _, v := range VolatileHeaders {
		if strings.EqualFold(v, name) {
			return true
		}
	}
	return false
}

func isVolatileKey(key string) bool {
	for _, v := range VolatileKeys {
		if strings.EqualFold(v, key) {
			return true
		}
	}
	return false
}

func maskVolatile(s string) string { return volatileText.ReplaceAllString(s, "\x00") }

// body compares bodies: as JSON values when both parse, as bytes when
// either is binary, else as text with volatile ids masked.
func (c *comparer) body(a, b exchange.HTTPResponse) {
	if c.ignored([]byte("body"), "") {
		return
	}
	if a.IsBase64 || b.IsBase64 {
		if a.Body != b.Body || a.IsBase64 != b.IsBase64 {
			c.add("body", showBody(a), showBody(b), "changed")
		}
		return
	}
	va, okA := parseJSON(a.Body)
	vb, okB := parseJSON(b.Body)
	if okA && okB {
		c.path = append(c.path[:0], "body"...)
		c.value("", va, vb)
		return
	}
	if maskVolatile(a.Body) != maskVolatile(b.Body) {
		c.add("body", a.Body, b.Body, "changed")
	}
}

// output compares two raw function outputs (JSON, or absent).
func (c *comparer) output(a, b json.RawMessage) {
	if c.ignored([]byte("output"), "") {
		return
	}
	va, okA := parseJSON(string(a))
	vb, okB := parseJSON(string(b))
	switch {
	case okA && okB:
		c.path = append(c.path[:0], "output"...)
		c.value("", va, vb)
	case okA:
		c.add("output", showJSON(va), "", "removed")
	case okB:
		c.add("output", "", showJSON(vb), "added")
	}
}

func showBody(r exchange.HTTPResponse) string {
	if r.IsBase64 {
		return fmt.Sprintf("(binary, %d base64 characters)", len(r.Body))
	}
	return r.Body
}

// parseJSON decodes a whole body as one JSON value, numbers kept exact;
// not when it nests deeper than jsonview.MaxDepth (the diff compares that
// as text, and pages show it as text).
func parseJSON(s string) (any, bool) {
	if strings.TrimSpace(s) == "" || jsonview.Depth([]byte(s), jsonview.MaxDepth+1) > jsonview.MaxDepth {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

// value compares two JSON values at c.path; key is the last object key.
func (c *comparer) value(key string, a, b any) {
	if !c.work(1+len(key)) || c.ignored(c.path, key) || (key != "" && isVolatileKey(key)) {
		return
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(x)+len(y))
		for k := range x {
			keys = append(keys, k)
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		n := len(c.path)
		for _, k := range keys {
			if c.stopped() {
				return
			}
			c.path = appendKey(c.path[:n], k)
			va, okA := x[k]
			vb, okB := y[k]
			switch {
			case okA && okB:
				c.value(k, va, vb)
			case c.ignored(c.path, k) || isVolatileKey(k):
			case okA:
				c.add(string(c.path), c.show(va), "", "removed")
			default:
				c.add(string(c.path), "", c.show(vb), "added")
			}
		}
		c.path = c.path[:n]
		return
	case []any:
		y, ok := b.([]any)
		if !ok {
			break
		}
		n := len(c.path)
		for i := 0; i < max(len(x), len(y)) && !c.stopped(); i++ {
			c.path = appendIndex(c.path[:n], i)
			switch {
			case i < len(x) && i < len(y):
				c.value("", x[i], y[i])
			case c.ignored(c.path, ""):
			case i < len(x):
				c.add(string(c.path), c.show(x[i]), "", "removed")
			default:
				c.add(string(c.path), "", c.show(y[i]), "added")
			}
		}
		c.path = c.path[:n]
		return
	}
	if sa, ok := a.(string); ok {
		if sb, ok := b.(string); ok && sa != sb {
			// A string holding JSON (a proxy integration's "body") is
			// compared as the JSON it holds.
			if c.work(len(sa) + len(sb)) {
				if ja, ok := embeddedJSON(sa); ok {
					if jb, ok := embeddedJSON(sb); ok {
						c.value(key, ja, jb)
						return
					}
				}
			}
		}
	}
	if !scalarEqual(a, b) {
		c.add(string(c.path), c.show(a), c.show(b), "changed")
	}
}

// show is showJSON, counted as work.
func (c *comparer) show(v any) string {
	s := showJSON(v)
	c.work(len(s))
	return s
}

func scalarEqual(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && (x == y || (volatileValue.MatchString(x) && volatileValue.MatchString(y)))
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		fx, errX := x.Float64()
		fy, errY := y.Float64()
		return errX == nil && errY == nil && fx == fy
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	}
	return false
}

// embeddedJSON parses a string that holds a JSON object or array.
func embeddedJSON(s string) (any, bool) {
	t := strings.TrimSpace(s)
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return nil, false
	}
	return parseJSON(t)
}

// showJSON renders a value compactly in JSON syntax (object keys sorted).
func showJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// identKey reports whether key is a plain name: [A-Za-z_$][A-Za-z0-9_$-]*.
func identKey(key string) bool {
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '$' || i > 0 && ('0' <= c && c <= '9' || c == '-')) {
			return false
		}
	}
	return key != ""
}

// KeyPath is the path of key inside the object at parent: parent.key, or
// parent["odd key"] when the key is not a plain name.
func KeyPath(parent, key string) string {
	return string(appendKey([]byte(parent), key))
}

// IndexPath is the path of element i of the array at parent.
func IndexPath(parent string, i int) string {
	return string(appendIndex([]byte(parent), i))
}

func appendKey(path []byte, key string) []byte {
	if identKey(key) {
		return append(append(path, '.'), key...)
	}
	q, _ := json.Marshal(key)
	return append(append(append(path, '['), q...), ']')
}

func appendIndex(path []byte, i int) []byte {
	return append(strconv.AppendInt(append(path, '['), int64(i), 10), ']')
}

// ignoreRule is one compiled ignore pattern: a path glob, or a bare name.
type ignoreRule struct {
	path *regexp.Regexp // full-path pattern
	name string         // bare name: a header or key, any case
	glob *regexp.Regexp // bare name with wildcards
}

func compileIgnore(patterns []string) []ignoreRule {
	var rules []ignoreRule
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if p == "status" || p == "outcome" || p == "body" || strings.HasPrefix(p, "body.") ||
			strings.HasPrefix(p, "body[") || p == "output" || strings.HasPrefix(p, "output.") || strings.HasPrefix(p, "output[") || strings.HasPrefix(strings.ToLower(p), "headers.") {
			expr := globRegexp(p)
			if strings.HasPrefix(strings.ToLower(p), "headers.") {
				expr = "(?i)" + expr
			}
			rules = append(rules, ignoreRule{path: regexp.MustCompile(expr)})
			continue
		}
		if strings.Contains(p, "*") {
			rules = append(rules, ignoreRule{glob: regexp.MustCompile("(?i)" + globRegexp(p))})
			continue
		}
		rules = append(rules, ignoreRule{name: p})
	}
	return rules
}

// globRegexp anchors a glob: "**" matches anything, "*" anything but ".".
// Patterns come from URLs: the literal parts are quoted whole (never split
// inside a UTF-8 sequence) and invalid UTF-8 is replaced, so any pattern
// compiles.
func globRegexp(p string) string {
	p = strings.ToValidUTF8(p, "\uFFFD")
	var b strings.Builder
	b.WriteString("^")
	for p != "" {
		i := strings.IndexByte(p, '*')
		if i < 0 {
			b.WriteString(regexp.QuoteMeta(p))
			break
		}
		b.WriteString(regexp.QuoteMeta(p[:i]))
		if strings.HasPrefix(p[i:], "**") {
			b.WriteString(".*")
			p = p[i+2:]
		} else {
			b.WriteString(`[^.]*`)
			p = p[i+1:]
		}
	}
	b.WriteString("$")
	return b.String()
}

// ignored reports whether path is to be skipped; key is the header name or
// the last JSON key ("" for array elements, status and outcome).
func (c *comparer) ignored(path []byte, key string) bool {
	for _, r := range c.ign {
		switch {
		case r.path != nil:
			if !c.work(len(path)) {
				return true // out of budget: compare nothing more
			}
			if r.path.Match(path) {
				return true
			}
		case key == "":
		case r.glob != nil:
			if r.glob.MatchString(key) {
				return true
			}
		case strings.EqualFold(r.name, key):
			return true
		}
	}
	return false
}

// Text renders the diff for a terminal: a header line with both ids and the
// class, then per changed path a "@@ path @@" line, "- before" and
// "+ after" lines. Multi-line text bodies are diffed line by line, within
// a budget of lcsCells for the whole diff (past it, all removed lines then
// all added ones).
func (d *Diff) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s → %s: %s\n", d.Original, d.Replay, d.Class)
	cells := lcsCells
	for _, c := range d.Changes {
		fmt.Fprintf(&b, "@@ %s @@\n", c.Path)
		if strings.Contains(c.Before, "\n") || strings.Contains(c.After, "\n") {
			writeLineDiff(&b, c.Before, c.After, &cells)
			continue
		}
		if c.Kind != "added" {
			fmt.Fprintf(&b, "- %s\n", c.Before)
		}
		if c.Kind != "removed" {
			fmt.Fprintf(&b, "+ %s\n", c.After)
		}
	}
	if d.Incomplete != "" {
		fmt.Fprintf(&b, "(incomplete: %s)\n", d.Incomplete)
	}
	return b.String()
}

// maxLineDiff bounds one line diff's quadratic table, and lcsCells all of
// a diff's tables together; longer texts are shown as all removed, then
// all added.
const (
	maxLineDiff = 1000
	lcsCells    = 4 << 20
)

// writeLineDiff writes a longest-common-subsequence line diff.
func writeLineDiff(b *strings.Builder, before, after string, cells *int) {
	x, y := strings.Split(before, "\n"), strings.Split(after, "\n")
	if before == "" {
		x = nil
	}
	if after == "" {
		y = nil
	}
	if len(x) > maxLineDiff || len(y) > maxLineDiff || (len(x)+1)*(len(y)+1) > *cells {
		for _, l := range x {
			fmt.Fprintf(b, "- %s\n", l)
		}
		for _, l := range y {
			fmt.Fprintf(b, "+ %s\n", l)
		}
		return
	}
	*cells -= (len(x) + 1) * (len(y) + 1)
	// lcs[i][j] is the LCS length of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			fmt.Fprintf(b, "  %s\n", x[i])
			i++
			j++
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			fmt.Fprintf(b, "- %s\n", x[i])
			i++
		default:
			fmt.Fprintf(b, "+ %s\n", y[j])
			j++
		}
	}
}
