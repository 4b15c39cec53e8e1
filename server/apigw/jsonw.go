package apigw

import (
	"sort"
	"strconv"

	"github.com/gatescope/gatescope/server/jsonstr"
)

// jsonw appends JSON by hand. Events are built on every request, and the
// hand-written form gives exact control over key order and over null versus
// omitted fields, which is what the spec is about, at a fraction of the cost
// of encoding/json's reflection.
//
// Unlike encoding/json it does not escape <, > and &: API Gateway sends them
// literally, and a function reading the raw event should see the same bytes.
type jsonw struct {
	b     []byte
	comma bool // a value was written at this nesting level
}

func (w *jsonw) sep() {
	if w.comma {
		w.b = append(w.b, ',')
	}
	w.comma = true
}

func (w *jsonw) open(c byte) {
	w.b = append(w.b, c)
	w.comma = false
}

func (w *jsonw) close(c byte) {
	w.b = append(w.b, c)
	w.comma = true
}

// key writes `"k":` and leaves the value to the caller.
func (w *jsonw) key(k string) {
	w.sep()
	w.b = appendString(w.b, k)
	w.b = append(w.b, ':')
	w.comma = false
}

func (w *jsonw) str(k, v string) {
	w.key(k)
	w.b = appendString(w.b, v)
	w.comma = true
}

// strOrNull writes null for "" — the REST identity fields AWS leaves null.
func (w *jsonw) strOrNull(k, v string) {
	if v == "" {
		w.null(k)
		return
	}
	w.str(k, v)
}

func (w *jsonw) null(k string) {
	w.key(k)
	w.b = append(w.b, "null"...)
	w.comma = true
}

func (w *jsonw) boolean(k string, v bool) {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
	w.comma = true
}

func (w *jsonw) int(k string, v int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
	w.comma = true
}

// strMap writes a map with sorted keys so events (and goldens) are deterministic.
func (w *jsonw) strMap(k string, m map[string]string) {
	w.key(k)
	w.open('{')
	for _, mk := range sortedKeys(m) {
		w.str(mk, m[mk])
	}
	w.close('}')
}

func (w *jsonw) listMap(k string, m map[string][]string) {
	w.key(k)
	w.open('{')
	for _, mk := range sortedKeys(m) {
		w.strList(mk, m[mk])
	}
	w.close('}')
}

func (w *jsonw) strList(k string, vs []string) {
	w.key(k)
	w.open('[')
	for _, v := range vs {
		w.sep()
		w.b = appendString(w.b, v)
	}
	w.close(']')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// appendString appends s as a JSON string (jsonstr.Append).
func appendString(b []byte, s string) []byte { return jsonstr.Append(b, s) }
