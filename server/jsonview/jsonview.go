// Package jsonview pretty-prints JSON for pages in time and space linear in
// the input, whatever the input is. Bodies, events and outputs come from
// functions and from files anyone can import; a page must never cost more
// than a small multiple of what it shows. json.Indent materialises the
// whole indented text, and indentation grows with depth, so a 20 KB body
// nested 10,000 deep became 200 MB of text: here nesting deeper than
// MaxDepth is not pretty-printed at all (callers show the text as it is),
// and output stops at a limit the caller gives.
package jsonview

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting that is pretty-printed; deeper documents
// are shown as text. It matches the redactor's parser (share) and is far
// beyond what any API sends: AWS's own event documents nest 5 deep.
const MaxDepth = 512

// spaces is the indentation of the deepest line; indentation is a slice of
// it, never a new string per line.
var spaces = string(bytes.Repeat([]byte(" "), 2*MaxDepth))

// Indentation returns the two-space indentation of depth, shared, without
// allocating. Depths beyond MaxDepth are drawn at MaxDepth.
func Indentation(depth int) string {
	return spaces[:2*min(max(depth, 0), MaxDepth)]
}

// Depth returns the deepest nesting of arrays and objects in src (0 for a
// scalar), skipping strings. It does not validate src; it stops counting
// once the depth passes stop (use MaxDepth+1 to ask "too deep?").
func Depth(src []byte, stop int) int {
	depth, deepest := 0, 0
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '"':
			i = stringEnd(src, i)
		case '{', '[':
			depth++
			if depth > deepest {
				deepest = depth
				if deepest >= stop {
					return deepest
				}
			}
		case '}', ']':
			depth--
		}
	}
	return deepest
}

// stringEnd returns the index of the quote closing the string that starts
// at src[i] (a quote), or len(src)-1 when it is not closed.
func stringEnd(src []byte, i int) int {
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return len(src) - 1
}

// Check reports whether src (spaces around it allowed) is one JSON value
// nested at most MaxDepth deep: what Indent and Tokens accept.
func Check(src []byte) bool {
	t := bytes.TrimSpace(src)
	return len(t) > 0 && Depth(t, MaxDepth+1) <= MaxDepth && json.Valid(t)
}

// Indent pretty-prints src as json.Indent(dst, src, "", "  ") would, but
// writes at most limit bytes (cut on a rune boundary; cut reports it). ok
// is false, and nothing is written, when src is not JSON or nests deeper
// than MaxDepth: the caller shows it as text. Work is linear in len(src),
// and the one allocation is the text itself: a first pass measures it.
func Indent(src []byte, limit int) (text string, cut, ok bool) {
	t := bytes.TrimSpace(src)
	if !Check(t) {
		return "", false, false
	}
	measure := writer{limit: limit}
	indent(t, &measure)
	var sb strings.Builder
	sb.Grow(measure.n)
	indent(t, &writer{sb: &sb, limit: measure.n})
	return sb.String(), measure.full, true
}

// indent writes t, a document Check accepted, to w until w is full.
func indent(t []byte, w *writer) {
	depth, open := 0, false // open: a '{' or '[' whose newline waits to see if it is empty
	for i := 0; i < len(t) && !w.full; i++ {
		c := t[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		if open && c != '}' && c != ']' {
			open = false
			depth++
			w.newline(depth)
		}
		switch c {
		case '"':
			j := stringEnd(t, i)
			w.write(t[i : j+1])
			i = j
		case '{', '[':
			w.byte(c)
			open = true
		case '}', ']':
			if open {
				open = false
			} else {
				depth--
				w.newline(depth)
			}
			w.byte(c)
		case ',':
			w.byte(c)
			w.newline(depth)
		case ':':
			w.writeString(": ")
		default:
			w.byte(c)
		}
	}
}

// Whole pretty-prints src when the result fits in budget bytes, else
// returns src as it is (a valid document either way, for copying or
// editing); "" when src is not JSON or too deep. Use it where the whole
// document is needed, with a budget proportional to len(src).
func Whole(src []byte, budget int) string {
	text, cut, ok := Indent(src, budget)
	switch {
	case !ok:
		return ""
	case cut:
		return string(bytes.TrimSpace(src))
	}
	return text
}

// Budget is the output budget Whole is given for src: room for ordinary
// indentation (a few times the input) but never the quadratic blow-up of
// deep documents.
func Budget(src []byte) int { return 8*len(src) + 64<<10 }

// writer counts what it is given up to limit bytes, and writes it to sb
// unless sb is nil; full is set once it stops. Every write is a whole
// token or ASCII, so a cut inside one write is the only place a rune can
// be split.
type writer struct {
	sb    *strings.Builder
	n     int
	limit int
	full  bool
}

func (w *writer) write(p []byte) {
	if w.full {
		return
	}
	if room := w.limit - w.n; len(p) > room {
		k := max(room, 0)
		for k > 0 && !utf8.RuneStart(p[k]) {
			k--
		}
		p, w.full = p[:k], true
	}
	w.n += len(p)
	if w.sb != nil {
		w.sb.Write(p)
	}
}

func (w *writer) writeString(s string) {
	if w.full {
		return
	}
	if room := w.limit - w.n; len(s) > room {
		s, w.full = s[:max(room, 0)], true // ASCII only: spaces and ": "
	}
	w.n += len(s)
	if w.sb != nil {
		w.sb.WriteString(s)
	}
}

func (w *writer) byte(c byte) {
	if w.full {
		return
	}
	if w.n >= w.limit {
		w.full = true
		return
	}
	w.n++
	if w.sb != nil {
		w.sb.WriteByte(c)
	}
}

func (w *writer) newline(depth int) {
	w.byte('\n')
	w.writeString(Indentation(depth))
}

// Tokens reads the tokens of a document Check accepted, without decoding
// or copying them.
type Tokens struct {
	src []byte
	pos int
}

// NewTokens returns a reader over src, which must pass Check.
func NewTokens(src []byte) *Tokens { return &Tokens{src: src} }

// Token kinds Next returns besides the delimiters '{', '}', '[', ']', ','
// and ':'.
const (
	End     byte = 0   // no more tokens
	String  byte = '"' // a string, quotes and escapes as in the source
	Literal byte = 'v' // a number, true, false or null
)

// Next returns the next token's kind and its bytes as they are in src.
func (t *Tokens) Next() (kind byte, tok []byte) {
	for t.pos < len(t.src) {
		c := t.src[t.pos]
		switch c {
		case ' ', '\t', '\n', '\r':
			t.pos++
			continue
		case '{', '}', '[', ']', ',', ':':
			t.pos++
			return c, t.src[t.pos-1 : t.pos]
		case '"':
			j := stringEnd(t.src, t.pos)
			tok, t.pos = t.src[t.pos:j+1], j+1
			return String, tok
		}
		start := t.pos
		for t.pos < len(t.src) && !delimiter(t.src[t.pos]) {
			t.pos++
		}
		return Literal, t.src[start:t.pos]
	}
	return End, nil
}

// Peek returns the kind of the next token without reading it.
func (t *Tokens) Peek() byte {
	k, _ := t.PeekToken()
	return k
}

// PeekToken returns the next token without reading it.
func (t *Tokens) PeekToken() (kind byte, tok []byte) {
	pos := t.pos
	kind, tok = t.Next()
	t.pos = pos
	return kind, tok
}

// Offset is how many bytes of src have been read.
func (t *Tokens) Offset() int { return t.pos }

func delimiter(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '{', '}', '[', ']', ',', ':', '"':
		return true
	}
	return false
}
