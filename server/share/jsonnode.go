package share

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gatescope/gatescope/server/jsonview"
)

// docPass redacts one JSON document as a stream of tokens: no tree is
// built, so a document costs about its own size again, whatever its shape
// (a tree of the wide documents imports can carry cost ~120 bytes a
// number). Key order, and the bytes of everything unchanged, are kept: a
// redacted event still reads like the one AWS would send.
type docPass struct {
	rd      *Redactor
	t       *jsonview.Tokens
	out     []byte // nil while collecting
	changed bool
}

// place is where a value sits: what decides whether it is secret.
type place struct {
	key    string // its key in its object; "" in arrays and at the top
	parent string // the key of the object or array holding it
	secret bool   // under a secret name or a user path: every scalar goes
	// declared: under a name the rules list (a credential header such as
	// Authorization, an authorizer's identity source, a user path), whose
	// values are scrubbed wherever they echo, even plain words.
	declared bool
	paths    []pathState
}

// pathState is a user JSON path partly matched: segs[:i] are behind.
type pathState struct {
	segs []string
	i    int
}

// doc redacts a JSON document (or, while collecting, records its
// secrets). ok is false when b is not one JSON document nested at most
// jsonview.MaxDepth deep; the caller treats it as text. out is b itself
// when nothing changed.
func (rd *Redactor) doc(b []byte) (out []byte, ok bool) {
	if !jsonview.Check(b) {
		return b, false
	}
	p := &docPass{rd: rd, t: jsonview.NewTokens(bytes.TrimSpace(b))}
	if !rd.collecting {
		p.out = make([]byte, 0, len(b)+16)
	}
	root := place{}
	for _, segs := range rd.paths {
		root.paths = append(root.paths, pathState{segs: segs})
	}
	p.value(root)
	if !p.changed {
		return b, true
	}
	return p.out, true
}

func (p *docPass) write(b []byte) {
	if p.out != nil {
		p.out = append(p.out, b...)
	}
}

func (p *docPass) writeByte(c byte) {
	if p.out != nil {
		p.out = append(p.out, c)
	}
}

// value reads the value at p.t, which jsonview.Check accepted, and writes
// it redacted.
func (p *docPass) value(at place) {
	if matched(at.paths) && !at.secret {
		// A user path names this value: all of it goes (while
		// collecting, every string under it is a secret).
		if p.rd.collecting || p.peekRedacted() {
			at.secret, at.declared = true, true
		} else {
			p.skip()
			p.replaced()
			return
		}
	}
	kind, tok := p.t.Next()
	switch kind {
	case '{':
		p.writeByte('{')
		for first := true; p.t.Peek() != '}'; first = false {
			if !first {
				p.t.Next() // ','
				p.writeByte(',')
			}
			_, kt := p.t.Next()
			p.t.Next() // ':'
			p.write(kt)
			p.writeByte(':')
			k := unquote(kt)
			p.value(place{key: k, parent: at.key, secret: at.secret || p.rd.secretKey(at.key, k),
				declared: at.declared || p.rd.headers[strings.ToLower(k)], paths: advance(at.paths, k, -1)})
		}
		p.t.Next()
		p.writeByte('}')
	case '[':
		p.writeByte('[')
		for i := 0; p.t.Peek() != ']'; i++ {
			if i > 0 {
				p.t.Next() // ','
				p.writeByte(',')
			}
			p.value(place{parent: at.key, secret: at.secret, declared: at.declared, paths: advance(at.paths, "", i)})
		}
		p.t.Next()
		p.writeByte(']')
	case jsonview.String:
		s := unquote(tok)
		var ns string
		if at.secret {
			if at.declared && p.rd.collecting {
				p.rd.addDeclared(s)
			}
			ns = p.rd.replace(s)
		} else {
			ns = p.rd.valueText(at.key, s)
		}
		if ns == s || p.out == nil {
			p.write(tok)
			return
		}
		p.changed = true
		p.out = appendString(p.out, ns)
	case jsonview.Literal:
		if at.secret && tok[0] != 'n' && tok[0] != 't' && tok[0] != 'f' { // a number
			if ns := p.rd.replace(string(tok)); ns != string(tok) && p.out != nil {
				p.changed = true
				p.out = appendString(p.out, ns)
				return
			}
		}
		p.write(tok)
	}
}

// peekRedacted reports whether the next value is the string Redacted.
func (p *docPass) peekRedacted() bool {
	kind, tok := p.t.PeekToken()
	return kind == jsonview.String && unquote(tok) == Redacted
}

// skip reads past the next value.
func (p *docPass) skip() {
	depth := 0
	for {
		kind, _ := p.t.Next()
		switch kind {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case jsonview.End:
			return
		}
		if depth == 0 {
			return
		}
	}
}

// replaced writes Redacted in place of a whole value (never while
// collecting).
func (p *docPass) replaced() {
	p.rd.count++
	p.changed = true
	p.out = appendString(p.out, Redacted)
}

// matched reports whether a user path ends at this value.
func matched(states []pathState) bool {
	for _, s := range states {
		if s.i == len(s.segs) {
			return true
		}
	}
	return false
}

// advance moves path states into a child: an object's key (index < 0) or
// an array's element. "*" matches any key or index; arrays are
// transparent to key segments, so "items.id" reaches items[3].id.
func advance(states []pathState, key string, index int) []pathState {
	if len(states) == 0 {
		return nil
	}
	var next []pathState
	for _, s := range states {
		if s.i == len(s.segs) {
			continue
		}
		seg := s.segs[s.i]
		switch {
		case seg == "*":
			next = append(next, pathState{s.segs, s.i + 1})
		case index < 0:
			if seg == key {
				next = append(next, pathState{s.segs, s.i + 1})
			}
		default:
			if n, err := strconv.Atoi(seg); err != nil {
				next = append(next, s) // a key segment passes through the array
			} else if n == index {
				next = append(next, pathState{s.segs, s.i + 1})
			}
		}
	}
	return next
}

// unquote decodes a JSON string token that Check accepted; without
// escapes it is a plain copy.
func unquote(tok []byte) string {
	if len(tok) >= 2 && bytes.IndexByte(tok, '\\') < 0 {
		return string(tok[1 : len(tok)-1])
	}
	var s string
	json.Unmarshal(tok, &s) // valid: Check passed
	return s
}

// appendString appends s as a JSON string without HTML escaping, which
// would turn a body's "<" into "\u003c" and make a redacted copy differ
// needlessly. Invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendString(b []byte, s string) []byte {
	var tmp strings.Builder
	enc := json.NewEncoder(&tmp)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a Go string always encodes
	return append(b, strings.TrimSuffix(tmp.String(), "\n")...)
}
