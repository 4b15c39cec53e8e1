package httpio

import (
	"encoding/json"
	"math"
	"net/http/httptest"
	"testing"
)

func TestWrite(t *testing.T) {
	w := httptest.NewRecorder()
	WriteJSON(w, 201, map[string]int{"n": 1})
	if w.Code != 201 || w.Body.String() != "{\"n\":1}\n" || w.Header().Get("Content-Type") != "application/json" ||
		w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("got %d %q %v", w.Code, w.Body, w.Header())
	}
	w = httptest.NewRecorder()
	WriteJSON(w, 200, math.NaN()) // cannot be encoded: a clean 500, not a broken 200
	if w.Code != 500 {
		t.Errorf("unencodable value: status %d", w.Code)
	}
}

func TestProblem(t *testing.T) {
	var v struct{ N int }
	tests := []struct{ in, want string }{
		{`{"N": }`, "invalid character '}' looking for beginning of value (at byte 7)"},
		{`{"N": "x"}`, `field "N" must be int, not JSON string`},
		{`[1]`, "want a JSON object, not array"},
	}
	for _, tt := range tests {
		err := json.Unmarshal([]byte(tt.in), &v)
		if got := Problem(err); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.in, got, tt.want)
		}
	}
}
