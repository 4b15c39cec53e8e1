package vtl

import (
	"errors"
	"testing"
	"time"
)

// FuzzRender checks that no template, with any body, panics, hangs or
// returns an error without a place: every failure is an *Error. The seed
// corpus (the spec's cases, the oracle's and the error cases) runs in
// every `go test`; `go test ./server/vtl -fuzz FuzzRender` explores more.
func FuzzRender(f *testing.F) {
	for _, c := range specCases {
		f.Add(c.tmpl, c.body)
	}
	for _, c := range oracleCases {
		f.Add(c, `{"a": [1, {"b": "c"}]}`)
	}
	f.Add("#foreach($i in [1..9])#foreach($j in [1..9])$i$j#end#end", "")
	f.Add("#set($l = [])#foreach($i in [1..5])#set($d = $l.add($l))#end$l", "")
	f.Add("#set($m = {})#set($m.self = $m)$m $input.json('$')", "[]")
	f.Add("$input.path('$[*][*]').size()", "[[1],[2,3]]")
	lim := Limits{MaxSteps: 20000, MaxOutput: 1 << 16, MaxLoop: 1000, MaxDepth: 16}
	f.Fuzz(func(t *testing.T, tmpl, body string) {
		tp, err := Parse(tmpl)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Line == 0 {
				t.Fatalf("Parse(%q) = %v: not an *Error with a place", tmpl, err)
			}
			return
		}
		vars := specVars(body)
		start := time.Now()
		out, err := tp.Render(vars, lim)
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("Render(%q) took %v", tmpl, took)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Render(%q) = %v: not an *Error", tmpl, err)
			}
			return
		}
		if len(out) > lim.MaxOutput {
			t.Fatalf("Render(%q) wrote %d bytes, over the limit %d", tmpl, len(out), lim.MaxOutput)
		}
	})
}
