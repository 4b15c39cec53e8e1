// Package vtl renders Amazon API Gateway mapping templates: the subset of
// the Velocity Template Language (Apache Velocity 1.7) that API Gateway
// runs, with its objects ($input, $util; $context and $stageVariables are
// maps the caller builds) and its rendering quirks: a null renders as "",
// `#if($x == "")` holds for a null $x, maps read from JSON render
// Java-style ({foo=bar}) while lists read from JSON render as JSON.
//
// It is pure and bounded: a template can neither panic nor hang the
// caller. Loops stop after Limits.MaxLoop iterations, evaluation after
// Limits.MaxSteps steps, and output (and any string a template builds)
// after Limits.MaxOutput bytes; each limit fails the render with an Error
// naming the line and column.
package vtl

import (
	"fmt"
	"strings"
)

// Limits bound one render.
type Limits struct {
	// MaxSteps bounds the evaluation steps (directives, references,
	// operators, loop iterations, list elements built).
	MaxSteps int
	// MaxOutput bounds the output and every string a template builds, in bytes.
	MaxOutput int
	// MaxLoop bounds the iterations of one #foreach, as Velocity's
	// directive.foreach.maxloops does; the loop stops there silently.
	MaxLoop int
	// MaxDepth bounds nesting: #define blocks rendering each other,
	// strings interpolated within strings, maps and lists within each
	// other when rendered.
	MaxDepth int
}

// DefaultLimits are generous for mapping templates (API Gateway's payloads
// stop at 10 MB) and small enough that a hostile template costs at most a
// few hundred milliseconds.
var DefaultLimits = Limits{MaxSteps: 2_000_000, MaxOutput: 10 << 20, MaxLoop: 1000, MaxDepth: 64}

// Error is a parse or render error at a place in a template. Line and
// Column count from 1; Column counts characters (runes).
type Error struct {
	Line, Column int
	Msg          string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Template is a parsed template, safe for concurrent renders.
type Template struct {
	src   string
	nodes []node
}

// Parse parses src. A syntax error is an *Error.
func Parse(src string) (*Template, error) {
	p := &parser{src: src}
	nodes, term, err := p.block(nil)
	if err != nil {
		return nil, err
	}
	if term != "" {
		return nil, p.errAt(p.pos, "#%s without a matching #if, #foreach or #define", term)
	}
	return &Template{src: src, nodes: nodes}, nil
}

// Render renders t with vars (the names without "$"). Values are nil,
// string, bool, int64, float64, *Map, *List or an Object; Render may
// change the maps and lists it is given (#set($m.k = v), $m.put): that is
// how a template sets $context.responseOverride. A render error is an
// *Error.
func (t *Template) Render(vars map[string]any, lim Limits) (string, error) {
	if lim.MaxSteps <= 0 {
		lim = DefaultLimits
	}
	r := &renderer{src: t.src, vars: make(map[string]any, len(vars)+4), lim: lim}
	for k, v := range vars {
		r.vars[k] = v
	}
	r.out.max = lim.MaxOutput
	err := r.nodes(t.nodes, &r.out)
	if err != nil && err != errStop {
		if e, ok := err.(*Error); ok {
			return "", e
		}
		return "", &Error{Msg: err.Error()}
	}
	return r.out.String(), nil
}

// position turns a byte offset into a line and a column.
func position(src string, off int) (line, col int) {
	if off > len(src) {
		off = len(src)
	}
	before := src[:off]
	line = strings.Count(before, "\n") + 1
	lineStart := strings.LastIndexByte(before, '\n') + 1
	col = len([]rune(before[lineStart:])) + 1
	return line, col
}
