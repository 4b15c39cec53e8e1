package jsonview

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestIndentMatchesEncodingJSON(t *testing.T) {
	for _, src := range []string{
		`{}`, `[]`, `1`, `"s"`, `null`, ` {"a" : [ 1 , 2 ,{ }, [ ] ] , "b":{"c":"d\"}"}} `,
		`{"e":"<x>","u":"\u00e9\ud83d\ude00","n":-1.5e+10,"t":true,"f":false,"z":null}`,
		`[[[[[[]]]]],{"k":[{}]}]`, "\n[\n1\n]\n",
	} {
		var want bytes.Buffer
		if err := json.Indent(&want, bytes.TrimSpace([]byte(src)), "", "  "); err != nil {
			t.Fatal(err)
		}
		got, cut, ok := Indent([]byte(src), 1<<20)
		if !ok || cut || got != want.String() {
			t.Errorf("Indent(%q) = %q, %v, %v; want %q", src, got, cut, ok, want.String())
		}
	}
}

func TestIndentRefuses(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	for _, src := range []string{"", "  ", "{", `{"a":1} x`, "nope", deep, `"unterminated`} {
		if text, _, ok := Indent([]byte(src), 1<<20); ok || text != "" {
			t.Errorf("Indent(%.20q) accepted: %q", src, text)
		}
	}
	ok := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if _, _, accepted := Indent([]byte(ok), 1<<20); !accepted {
		t.Errorf("depth %d refused", MaxDepth)
	}
}

func TestIndentCuts(t *testing.T) {
	src := []byte(`{"name":"` + strings.Repeat("é", 100) + `","list":[1,2,3]}`)
	full, _, _ := Indent(src, 1<<20)
	for limit := 0; limit <= len(full)+1; limit++ {
		got, cut, ok := Indent(src, limit)
		if !ok || !strings.HasPrefix(full, got) || len(got) > limit || !utf8.ValidString(got) {
			t.Fatalf("limit %d: %q (ok %v) is not a valid prefix of the whole", limit, got, ok)
		}
		if cut != (limit < len(full)) || (cut && len(got) < limit-utf8.UTFMax) {
			t.Fatalf("limit %d: %d bytes, cut %v (whole %d)", limit, len(got), cut, len(full))
		}
	}
}

func TestWhole(t *testing.T) {
	if got := Whole([]byte(`{"a":1}`), 100); got != "{\n  \"a\": 1\n}" {
		t.Errorf("Whole = %q", got)
	}
	if got := Whole([]byte(` {"a":1} `), 5); got != `{"a":1}` {
		t.Errorf("over budget: %q, want the document as it is", got)
	}
	if got := Whole([]byte(`nope`), 100); got != "" {
		t.Errorf("not JSON: %q", got)
	}
}

func TestTokens(t *testing.T) {
	src := ` {"a\"b" : [1, true,null, "x"] , "c":{} } `
	var kinds []byte
	var toks []string
	tk := NewTokens([]byte(src))
	for {
		if k := tk.Peek(); k == End {
			break
		}
		k, tok := tk.Next()
		kinds, toks = append(kinds, k), append(toks, string(tok))
	}
	if string(kinds) != `{":[v,v,v,"],":{}}` {
		t.Errorf("kinds %q", kinds)
	}
	if strings.Join(toks, "") != `{"a\"b":[1,true,null,"x"],"c":{}}` {
		t.Errorf("tokens %q", toks)
	}
	if tk.Offset() != len(src)-1 {
		t.Errorf("offset %d of %d", tk.Offset(), len(src))
	}
}

// TestDeepJSONMemory: the shapes that made pages quadratic cost linear
// memory here. At depth 100,000 nothing is indented at all; a balanced
// document 500 deep (each line indented ~1 KB) is cut at the limit.
func TestDeepJSONMemory(t *testing.T) {
	deep := []byte(strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000))
	allocs := testing.AllocsPerRun(3, func() { Indent(deep, 32<<10) })
	if allocs > 4 {
		t.Errorf("depth 100,000: %.0f allocations to refuse it", allocs)
	}
	if _, _, ok := Indent(deep, 32<<10); ok {
		t.Error("depth 100,000 was pretty-printed")
	}
	// 500 deep, then 100,000 small items: json.Indent writes ~100 MB.
	var b bytes.Buffer
	b.WriteString(strings.Repeat(`{"k":`, 500))
	b.WriteString("[" + strings.Repeat("0,", 100_000) + "0]")
	b.WriteString(strings.Repeat("}", 500))
	src := b.Bytes()
	const limit = 32 << 10
	bytesPerRun := allocBytes(func() {
		text, cut, ok := Indent(src, limit)
		if !ok || !cut || len(text) > limit {
			t.Fatalf("ok %v cut %v len %d", ok, cut, len(text))
		}
	})
	if bytesPerRun > 3*limit {
		t.Errorf("balanced depth 500 (%d bytes): %d bytes allocated for a %d-byte view", len(src), bytesPerRun, limit)
	}
	// Whole falls back to the document itself rather than blow up.
	bytesPerRun = allocBytes(func() {
		if w := Whole(src, Budget(src)); len(w) != len(src) {
			t.Fatalf("Whole = %d bytes, want the %d-byte document", len(w), len(src))
		}
	})
	if max := 3 * Budget(src); bytesPerRun > max {
		t.Errorf("Whole allocated %d bytes, want at most %d (linear in the input)", bytesPerRun, max)
	}
}

func allocBytes(f func()) int {
	res := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			f()
		}
	})
	return int(res.AllocedBytesPerOp())
}

// FuzzIndent: for any input Indent never panics; what it accepts it prints
// exactly as json.Indent does, and any limit gives a valid UTF-8 prefix of
// that no longer than the limit. Run longer with
// go test ./server/jsonview -run '^$' -fuzz FuzzIndent -fuzztime 5m
func FuzzIndent(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":null}],"c d":{},"e":"<x>"}`, `[[[]]]`, `"é"`, `{"a":"\"}"}`, `[1,`, "\xff"} {
		f.Add([]byte(s), 40)
	}
	f.Fuzz(func(t *testing.T, src []byte, limit int) {
		limit = max(limit, 0) % (4 * (len(src) + 16))
		full, cut, ok := Indent(src, 1<<30)
		if ok != Check(src) || cut {
			t.Fatalf("ok %v for Check %v, cut %v", ok, Check(src), cut)
		}
		if !ok {
			return
		}
		var want bytes.Buffer
		if err := json.Indent(&want, bytes.TrimSpace(src), "", "  "); err != nil {
			t.Fatalf("accepted what json.Indent refuses: %v", err)
		}
		if full != want.String() {
			t.Fatalf("Indent = %q, json.Indent = %q", full, want.String())
		}
		part, _, _ := Indent(src, limit)
		if len(part) > limit || !strings.HasPrefix(full, part) || (utf8.ValidString(full) && !utf8.ValidString(part)) {
			t.Fatalf("limit %d: %q", limit, part)
		}
	})
}
