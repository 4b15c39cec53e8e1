package vtl

import (
	"fmt"
	"strconv"
	"strings"
)

// The syntax tree. Every node and expression keeps its byte offset in the
// source, for errors.

type node interface{ at() int }

type textNode struct {
	off  int
	text string
}

// refNode renders a reference. raw is its source text, which Velocity
// renders after a backslash escape (\$x) when $x is defined.
type refNode struct {
	ref     *reference
	escaped bool // \$x: render "$x" (defined) or "\$x" (not)
	raw     string
}

type setNode struct {
	off    int
	target *reference
	value  expr
}

type ifNode struct {
	off   int
	conds []expr
	thens [][]node
	els   []node // nil: no #else
}

type foreachNode struct {
	off  int
	name string
	list expr
	body []node
}

type breakNode struct{ off int }

type stopNode struct{ off int }

type defineNode struct {
	off  int
	name string
	body []node
}

func (n *textNode) at() int    { return n.off }
func (n *refNode) at() int     { return n.ref.off }
func (n *setNode) at() int     { return n.off }
func (n *ifNode) at() int      { return n.off }
func (n *foreachNode) at() int { return n.off }
func (n *breakNode) at() int   { return n.off }
func (n *stopNode) at() int    { return n.off }
func (n *defineNode) at() int  { return n.off }

// reference is $name followed by accessors: .prop, .method(args), [index].
type reference struct {
	off   int
	name  string
	quiet bool
	parts []accessor
}

type accessKind uint8

const (
	accProp accessKind = iota
	accMethod
	accIndex
)

type accessor struct {
	off   int
	kind  accessKind
	name  string
	args  []expr
	index expr
}

type expr interface{ at() int }

type litExpr struct {
	off int
	v   any // string, bool, int64, float64, nil
}

type refExpr struct{ ref *reference }

// interpExpr is a double-quoted string: a template rendered to a string.
// src, when set, is the source its nodes' offsets count in (a string with
// doubled quotes is parsed unescaped).
type interpExpr struct {
	off   int
	nodes []node
	src   string
}

type listExpr struct {
	off   int
	items []expr
}

type rangeExpr struct {
	off      int
	from, to expr
}

type mapExpr struct {
	off  int
	keys []expr
	vals []expr
}

type unaryExpr struct {
	off int
	op  string // "!" or "-"
	x   expr
}

type binaryExpr struct {
	off  int
	op   string
	l, r expr
}

func (e *litExpr) at() int    { return e.off }
func (e *refExpr) at() int    { return e.ref.off }
func (e *interpExpr) at() int { return e.off }
func (e *listExpr) at() int   { return e.off }
func (e *rangeExpr) at() int  { return e.off }
func (e *mapExpr) at() int    { return e.off }
func (e *unaryExpr) at() int  { return e.off }
func (e *binaryExpr) at() int { return e.off }

// maxParseDepth bounds nesting while parsing (blocks, parentheses, strings
// within strings), so a hostile template cannot exhaust the stack.
const maxParseDepth = 200

type parser struct {
	src   string
	pos   int
	depth int
}

func (p *parser) errAt(off int, format string, args ...any) *Error {
	line, col := position(p.src, off)
	return &Error{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) enter(off int) error {
	p.depth++
	if p.depth > maxParseDepth {
		return p.errAt(off, "nested more than %d deep", maxParseDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// directives are the names after '#' the parser knows; any other '#' is text.
var directives = map[string]bool{
	"set": true, "if": true, "elseif": true, "else": true, "end": true, "foreach": true,
	"break": true, "stop": true, "define": true, "macro": true, "parse": true, "include": true, "evaluate": true,
}

// block parses nodes until the source ends or one of the terminators
// (#end, #else, #elseif) appears; it returns the terminator's name ("" at
// the end of the source). The terminator is consumed, with the rest of its
// line when that is only whitespace; #elseif's condition is left for the
// caller.
func (p *parser) block(terms map[string]bool) ([]node, string, error) {
	if err := p.enter(p.pos); err != nil {
		return nil, "", err
	}
	defer p.leave()
	var nodes []node
	text := strings.Builder{}
	textStart := -1
	// fresh is where in text the current run of template text began:
	// after a reference, a directive, a comment or an escape.
	fresh := 0
	flush := func() {
		if text.Len() > 0 {
			nodes = append(nodes, &textNode{off: textStart, text: text.String()})
			text.Reset()
		}
		textStart = -1
		fresh = 0
	}
	addText := func(off int, s string) {
		if textStart < 0 {
			textStart = off
		}
		text.WriteString(s)
	}
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case '\\':
			// Backslashes before a reference or a directive escape it.
			n := 0
			for p.pos+n < len(p.src) && p.src[p.pos+n] == '\\' {
				n++
			}
			after := p.pos + n
			switch {
			case after < len(p.src) && p.src[after] == '$' && p.refStart(after):
				addText(p.pos, strings.Repeat(`\`, n/2))
				p.pos = after
				if n%2 == 1 {
					flush()
					start := p.pos
					ref, err := p.reference()
					if err != nil {
						return nil, "", err
					}
					nodes = append(nodes, &refNode{ref: ref, escaped: true, raw: p.src[start:p.pos]})
				}
			case after < len(p.src) && p.src[after] == '#' && p.knownDirective(after):
				addText(p.pos, strings.Repeat(`\`, n/2))
				p.pos = after
				if n%2 == 1 {
					_, end := p.directiveName(after)
					addText(after, p.src[after:end])
					p.pos = end
					fresh = text.Len()
				}
			default:
				addText(p.pos, p.src[p.pos:after])
				p.pos = after
			}
		case '$':
			if !p.refStart(p.pos) {
				addText(p.pos, "$")
				p.pos++
				continue
			}
			flush()
			ref, err := p.reference()
			if err != nil {
				return nil, "", err
			}
			nodes = append(nodes, &refNode{ref: ref})
		case '#':
			start := p.pos
			switch {
			case strings.HasPrefix(p.src[p.pos:], "##"):
				end := strings.IndexByte(p.src[p.pos:], '\n')
				if end < 0 {
					p.pos = len(p.src)
				} else {
					p.pos += end + 1
				}
				fresh = text.Len()
				continue
			case strings.HasPrefix(p.src[p.pos:], "#*"):
				end := strings.Index(p.src[p.pos+2:], "*#")
				if end < 0 {
					return nil, "", p.errAt(start, "block comment #* is never closed with *#")
				}
				p.pos += 2 + end + 2
				fresh = text.Len()
				continue
			case strings.HasPrefix(p.src[p.pos:], "#[["):
				end := strings.Index(p.src[p.pos+3:], "]]#")
				if end < 0 {
					return nil, "", p.errAt(start, "unparsed block #[[ is never closed with ]]#")
				}
				addText(p.pos, p.src[p.pos+3:p.pos+3+end])
				p.pos += 3 + end + 3
				continue
			}
			name, end := p.directiveName(p.pos)
			if !directives[name] {
				addText(p.pos, "#")
				p.pos++
				continue
			}
			if terms[name] {
				flush()
				p.pos = end
				if name != "elseif" {
					p.eatLineEnd()
				}
				return nodes, name, nil
			}
			switch name {
			case "end", "else", "elseif":
				return nil, "", p.errAt(start, "#%s without a matching #if, #foreach or #define", name)
			case "set":
				// #set takes the spaces and tabs before it, unless
				// other text precedes them on their line: Velocity's
				// #set token starts with them.
				s := text.String()
				tail := s[min(fresh, len(s)):]
				if i := strings.LastIndexAny(tail, "\r\n"); i >= 0 {
					tail = tail[i+1:]
				}
				if tail != "" && strings.Trim(tail, " \t") == "" {
					text.Reset()
					text.WriteString(s[:len(s)-len(tail)])
				}
			}
			flush()
			p.pos = end
			n, err := p.directive(name, start)
			if err != nil {
				return nil, "", err
			}
			if n != nil {
				nodes = append(nodes, n)
			}
		default:
			end := p.pos
			for end < len(p.src) && p.src[end] != '$' && p.src[end] != '#' && p.src[end] != '\\' {
				end++
			}
			addText(p.pos, p.src[p.pos:end])
			p.pos = end
		}
	}
	flush()
	return nodes, "", nil
}

// directiveName reads the name after '#' at off: "#name" or "#{name}".
// It returns "" when none is there, and the offset after the name.
func (p *parser) directiveName(off int) (string, int) {
	i := off + 1
	braced := i < len(p.src) && p.src[i] == '{'
	if braced {
		i++
	}
	j := i
	for j < len(p.src) && isLetter(p.src[j]) {
		j++
	}
	name := p.src[i:j]
	if braced {
		if j >= len(p.src) || p.src[j] != '}' {
			return "", off + 1
		}
		j++
	}
	return name, j
}

func (p *parser) knownDirective(off int) bool {
	name, _ := p.directiveName(off)
	return directives[name]
}

// eatLineEnd consumes spaces and tabs and the line break after a
// directive, when nothing else follows it on its line (Velocity 1.7).
func (p *parser) eatLineEnd() {
	i := p.pos
	for i < len(p.src) && (p.src[i] == ' ' || p.src[i] == '\t') {
		i++
	}
	switch {
	case strings.HasPrefix(p.src[i:], "\r\n"):
		p.pos = i + 2
	case i < len(p.src) && (p.src[i] == '\n' || p.src[i] == '\r'):
		p.pos = i + 1
	}
}

func (p *parser) directive(name string, start int) (node, error) {
	switch name {
	case "set":
		if err := p.open(start, name); err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != '$' || !p.refStart(p.pos) {
			return nil, p.errAt(p.pos, "#set needs a reference to set, like #set($x = 1)")
		}
		target, err := p.reference()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != '=' {
			return nil, p.errAt(p.pos, "#set needs '=' after %s", p.src[target.off:p.pos])
		}
		p.pos++
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.close(start, name); err != nil {
			return nil, err
		}
		p.eatLineEnd()
		return &setNode{off: start, target: target, value: v}, nil
	case "if":
		n := &ifNode{off: start}
		cond, err := p.cond(start, name)
		if err != nil {
			return nil, err
		}
		for {
			body, term, err := p.block(map[string]bool{"end": true, "else": true, "elseif": true})
			if err != nil {
				return nil, err
			}
			if term == "" {
				return nil, p.errAt(start, "#if is never closed with #end")
			}
			n.conds = append(n.conds, cond)
			n.thens = append(n.thens, body)
			switch term {
			case "end":
				return n, nil
			case "else":
				els, term, err := p.block(map[string]bool{"end": true})
				if err != nil {
					return nil, err
				}
				if term == "" {
					return nil, p.errAt(start, "#if is never closed with #end")
				}
				if els == nil {
					els = []node{}
				}
				n.els = els
				return n, nil
			case "elseif":
				if cond, err = p.cond(p.pos, "elseif"); err != nil {
					return nil, err
				}
			}
		}
	case "foreach":
		if err := p.open(start, name); err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != '$' || !p.refStart(p.pos) {
			return nil, p.errAt(p.pos, "#foreach needs a variable, like #foreach($item in $list)")
		}
		v, err := p.reference()
		if err != nil {
			return nil, err
		}
		if len(v.parts) > 0 {
			return nil, p.errAt(v.off, "#foreach's variable must be a plain name like $item")
		}
		p.skipSpace()
		if !strings.HasPrefix(p.src[p.pos:], "in") || (p.pos+2 < len(p.src) && isIdentChar(p.src[p.pos+2])) {
			return nil, p.errAt(p.pos, "#foreach needs 'in', like #foreach($item in $list)")
		}
		p.pos += 2
		list, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.close(start, name); err != nil {
			return nil, err
		}
		p.eatLineEnd()
		body, term, err := p.block(map[string]bool{"end": true})
		if err != nil {
			return nil, err
		}
		if term == "" {
			return nil, p.errAt(start, "#foreach is never closed with #end")
		}
		return &foreachNode{off: start, name: v.name, list: list, body: body}, nil
	case "define":
		if err := p.open(start, name); err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != '$' || !p.refStart(p.pos) {
			return nil, p.errAt(p.pos, "#define needs a name, like #define($block)")
		}
		v, err := p.reference()
		if err != nil {
			return nil, err
		}
		if err := p.close(start, name); err != nil {
			return nil, err
		}
		p.eatLineEnd()
		body, term, err := p.block(map[string]bool{"end": true})
		if err != nil {
			return nil, err
		}
		if term == "" {
			return nil, p.errAt(start, "#define is never closed with #end")
		}
		return &defineNode{off: start, name: v.name, body: body}, nil
	case "break":
		p.optionalArg()
		p.eatLineEnd()
		return &breakNode{off: start}, nil
	case "stop":
		p.optionalArg()
		p.eatLineEnd()
		return &stopNode{off: start}, nil
	default: // macro, parse, include, evaluate
		return nil, p.errAt(start, "#%s is not supported in API Gateway mapping templates", name)
	}
}

// optionalArg skips #break's optional "($foreach)".
func (p *parser) optionalArg() {
	i := p.pos
	if i < len(p.src) && p.src[i] == '(' {
		if j := strings.IndexByte(p.src[i:], ')'); j >= 0 && !strings.ContainsAny(p.src[i:i+j], "\n#") {
			p.pos = i + j + 1
		}
	}
}

func (p *parser) cond(start int, name string) (expr, error) {
	if err := p.open(start, name); err != nil {
		return nil, err
	}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if err := p.close(start, name); err != nil {
		return nil, err
	}
	p.eatLineEnd()
	return e, nil
}

func (p *parser) open(start int, name string) error {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
	if p.pos >= len(p.src) || p.src[p.pos] != '(' {
		return p.errAt(start, "#%s needs '(' after it", name)
	}
	p.pos++
	return nil
}

func (p *parser) close(start int, name string) error {
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != ')' {
		if p.pos >= len(p.src) {
			return p.errAt(start, "#%s( is never closed with ')'", name)
		}
		return p.errAt(p.pos, "unexpected %q in #%s(...): expected ')'", p.peekText(), name)
	}
	p.pos++
	return nil
}

func (p *parser) peekText() string {
	end := min(p.pos+10, len(p.src))
	s := p.src[p.pos:end]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isIdentStart(c byte) bool { return isLetter(c) || c == '_' }

// isIdentChar: Velocity 1.7 identifiers may hold hyphens ($a-b).
func isIdentChar(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '-'
}

// refStart reports whether a reference starts at off ('$').
func (p *parser) refStart(off int) bool {
	i := off + 1
	if i < len(p.src) && p.src[i] == '!' {
		i++
	}
	if i < len(p.src) && p.src[i] == '{' {
		i++
	}
	return i < len(p.src) && isIdentStart(p.src[i])
}

func (p *parser) ident() string {
	start := p.pos
	for p.pos < len(p.src) && isIdentChar(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

// reference parses $[!]name..., $[!]{name...}; p.pos is at '$'.
func (p *parser) reference() (*reference, error) {
	r := &reference{off: p.pos}
	p.pos++
	if p.src[p.pos] == '!' {
		r.quiet = true
		p.pos++
	}
	braced := p.src[p.pos] == '{'
	if braced {
		p.pos++
	}
	r.name = p.ident()
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '.' && p.pos+1 < len(p.src) && isIdentStart(p.src[p.pos+1]):
			off := p.pos
			p.pos++
			name := p.ident()
			if p.pos < len(p.src) && p.src[p.pos] == '(' {
				p.pos++
				args, err := p.args(off, ')')
				if err != nil {
					return nil, err
				}
				r.parts = append(r.parts, accessor{off: off, kind: accMethod, name: name, args: args})
				continue
			}
			r.parts = append(r.parts, accessor{off: off, kind: accProp, name: name})
		case c == '[':
			off := p.pos
			save := p.pos
			p.pos++
			idx, err := p.expr()
			if err == nil {
				p.skipSpace()
			}
			if err != nil || p.pos >= len(p.src) || p.src[p.pos] != ']' {
				// Not an index: the '[' is text (only in template text;
				// inside an expression it is an error the caller reports).
				p.pos = save
				if braced {
					return nil, p.errAt(off, "an index needs ']', like $list[0]")
				}
				return r, nil
			}
			p.pos++
			r.parts = append(r.parts, accessor{off: off, kind: accIndex, index: idx})
		default:
			if braced {
				if c != '}' {
					return nil, p.errAt(p.pos, "unexpected %q in ${...}: expected '}'", p.peekText())
				}
				p.pos++
			}
			return r, nil
		}
	}
	if braced {
		return nil, p.errAt(r.off, "${ is never closed with '}'")
	}
	return r, nil
}

// args parses expressions separated by commas up to the closing byte.
func (p *parser) args(start int, closing byte) ([]expr, error) {
	var out []expr
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == closing {
		p.pos++
		return out, nil
	}
	for {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.errAt(start, "%q is never closed", p.src[start:min(start+20, len(p.src))])
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case closing:
			p.pos++
			return out, nil
		default:
			return nil, p.errAt(p.pos, "unexpected %q: expected ',' or '%c'", p.peekText(), closing)
		}
	}
}

// Operator precedence, loosest first.
var binaryLevels = [][]string{
	{"||", "or"},
	{"&&", "and"},
	{"==", "!=", "eq", "ne"},
	{"<=", ">=", "<", ">", "le", "ge", "lt", "gt"},
	{"+", "-"},
	{"*", "/", "%"},
}

var wordOps = map[string]string{"or": "||", "and": "&&", "eq": "==", "ne": "!=", "le": "<=", "ge": ">=", "lt": "<", "gt": ">"}

func (p *parser) expr() (expr, error) {
	if err := p.enter(p.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	return p.binary(0)
}

func (p *parser) binary(level int) (expr, error) {
	if level == len(binaryLevels) {
		return p.unary()
	}
	l, err := p.binary(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		op := p.matchOp(binaryLevels[level])
		if op == "" {
			return l, nil
		}
		off := p.pos
		p.pos += len(op)
		if w, ok := wordOps[op]; ok {
			op = w
		}
		r, err := p.binary(level + 1)
		if err != nil {
			return nil, err
		}
		l = &binaryExpr{off: off, op: op, l: l, r: r}
	}
}

func (p *parser) matchOp(ops []string) string {
	rest := p.src[p.pos:]
	for _, op := range ops {
		if !strings.HasPrefix(rest, op) {
			continue
		}
		if isLetter(op[0]) && len(rest) > len(op) && isIdentChar(rest[len(op)]) {
			continue // a word operator must stand alone
		}
		if (op == "<" || op == ">") && strings.HasPrefix(rest, op+"=") {
			continue
		}
		return op
	}
	return ""
}

func (p *parser) unary() (expr, error) {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.errAt(p.pos, "expected a value, found the end of the template")
	}
	off := p.pos
	switch {
	case p.src[p.pos] == '!' && !strings.HasPrefix(p.src[p.pos:], "!="):
		p.pos++
		x, err := p.unaryNested()
		if err != nil {
			return nil, err
		}
		return &unaryExpr{off: off, op: "!", x: x}, nil
	case strings.HasPrefix(p.src[p.pos:], "not") && (p.pos+3 >= len(p.src) || !isIdentChar(p.src[p.pos+3])):
		p.pos += 3
		x, err := p.unaryNested()
		if err != nil {
			return nil, err
		}
		return &unaryExpr{off: off, op: "!", x: x}, nil
	case p.src[p.pos] == '-' && p.pos+1 < len(p.src) && !isDigit(p.src[p.pos+1]):
		p.pos++
		x, err := p.unaryNested()
		if err != nil {
			return nil, err
		}
		return &unaryExpr{off: off, op: "-", x: x}, nil
	}
	return p.primary()
}

func (p *parser) unaryNested() (expr, error) {
	if err := p.enter(p.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	return p.unary()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *parser) primary() (expr, error) {
	off := p.pos
	c := p.src[p.pos]
	switch {
	case c == '$':
		if !p.refStart(p.pos) {
			return nil, p.errAt(off, "expected a reference after '$'")
		}
		ref, err := p.reference()
		if err != nil {
			return nil, err
		}
		return &refExpr{ref: ref}, nil
	case c == '\'':
		s, end, ok := quoted(p.src, p.pos)
		if !ok {
			return nil, p.errAt(off, "string is never closed with '")
		}
		p.pos = end
		return &litExpr{off: off, v: s}, nil
	case c == '"':
		body, end, ok := quoted(p.src, p.pos)
		if !ok {
			return nil, p.errAt(off, "string is never closed with \"")
		}
		p.pos = end
		if !strings.ContainsAny(body, "$#") {
			return &litExpr{off: off, v: body}, nil
		}
		if strings.Contains(p.src[off+1:end-1], `""`) {
			// A doubled quote inside a template string: parse the
			// unescaped text on its own. (An error inside it is then
			// placed at the string's start.)
			sub := &parser{src: body, depth: p.depth}
			nodes, term, err := sub.block(nil)
			if err != nil {
				return nil, p.errAt(off, "in the string: %v", err)
			}
			if term != "" {
				return nil, p.errAt(off, "#%s inside a string without its #if or #foreach", term)
			}
			return &interpExpr{off: off, nodes: nodes, src: body}, nil
		}
		// The string is a template of its own; offsets stay the source's.
		sub := &parser{src: p.src[:end-1], pos: off + 1, depth: p.depth}
		nodes, term, err := sub.block(nil)
		if err != nil {
			return nil, err
		}
		if term != "" {
			return nil, p.errAt(off, "#%s inside a string without its #if or #foreach", term)
		}
		return &interpExpr{off: off, nodes: nodes}, nil
	case isDigit(c) || c == '-':
		end := p.pos + 1
		for end < len(p.src) && isDigit(p.src[end]) {
			end++
		}
		isFloat := false
		if end+1 < len(p.src) && p.src[end] == '.' && isDigit(p.src[end+1]) {
			isFloat = true
			end++
			for end < len(p.src) && isDigit(p.src[end]) {
				end++
			}
		}
		text := p.src[p.pos:end]
		p.pos = end
		if isFloat {
			f, err := strconv.ParseFloat(text, 64)
			if err != nil {
				return nil, p.errAt(off, "invalid number %q", text)
			}
			return &litExpr{off: off, v: f}, nil
		}
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, p.errAt(off, "invalid number %q", text)
		}
		return &litExpr{off: off, v: n}, nil
	case c == '[':
		p.pos++
		p.skipSpace()
		// A range [a..b]?
		save := p.pos
		if p.pos < len(p.src) && p.src[p.pos] != ']' {
			from, err := p.expr()
			if err == nil {
				p.skipSpace()
				if strings.HasPrefix(p.src[p.pos:], "..") {
					p.pos += 2
					to, err := p.expr()
					if err != nil {
						return nil, err
					}
					p.skipSpace()
					if p.pos >= len(p.src) || p.src[p.pos] != ']' {
						return nil, p.errAt(off, "range [a..b] is never closed with ']'")
					}
					p.pos++
					return &rangeExpr{off: off, from: from, to: to}, nil
				}
			}
			p.pos = save
		}
		items, err := p.args(off, ']')
		if err != nil {
			return nil, err
		}
		return &listExpr{off: off, items: items}, nil
	case c == '{':
		p.pos++
		m := &mapExpr{off: off}
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == '}' {
			p.pos++
			return m, nil
		}
		for {
			k, err := p.expr()
			if err != nil {
				return nil, err
			}
			p.skipSpace()
			if p.pos >= len(p.src) || p.src[p.pos] != ':' {
				return nil, p.errAt(p.pos, "a map entry needs ':', like {\"key\": \"value\"}")
			}
			p.pos++
			v, err := p.expr()
			if err != nil {
				return nil, err
			}
			m.keys, m.vals = append(m.keys, k), append(m.vals, v)
			p.skipSpace()
			if p.pos >= len(p.src) {
				return nil, p.errAt(off, "map is never closed with '}'")
			}
			if p.src[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.src[p.pos] == '}' {
				p.pos++
				return m, nil
			}
			return nil, p.errAt(p.pos, "unexpected %q in a map: expected ',' or '}'", p.peekText())
		}
	case c == '(':
		p.pos++
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ')' {
			return nil, p.errAt(off, "'(' is never closed with ')'")
		}
		p.pos++
		return e, nil
	case isIdentStart(c):
		w := p.ident()
		switch w {
		case "true":
			return &litExpr{off: off, v: true}, nil
		case "false":
			return &litExpr{off: off, v: false}, nil
		case "null":
			return &litExpr{off: off, v: nil}, nil
		}
		return nil, p.errAt(off, "unexpected word %q: a variable needs '$', a string quotes", w)
	}
	return nil, p.errAt(off, "unexpected %q: expected a value", p.peekText())
}

// quoted reads the string literal whose quote is at src[start]; a doubled
// quote stands for one. It returns the text and the offset after the
// closing quote.
func quoted(src string, start int) (string, int, bool) {
	q := src[start]
	var b strings.Builder
	for i := start + 1; i < len(src); i++ {
		if src[i] != q {
			b.WriteByte(src[i])
			continue
		}
		if i+1 < len(src) && src[i+1] == q {
			b.WriteByte(q)
			i++
			continue
		}
		return b.String(), i + 1, true
	}
	return "", 0, false
}
