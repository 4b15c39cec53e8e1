package httpio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatescope/gatescope/store"
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

func TestStatus(t *testing.T) {
	kind := NewKind("gone", http.StatusGone)
	tests := []struct {
		err  error
		want int
	}{
		{nil, 200},
		{fmt.Errorf("load: %w", context.Canceled), StatusClientClosed},
		{fmt.Errorf("load: %w", context.DeadlineExceeded), http.StatusGatewayTimeout},
		{BadRequest("limit %q", "x"), http.StatusBadRequest},
		{fmt.Errorf("upload: %w", ErrTooLarge), http.StatusRequestEntityTooLarge},
		{fmt.Errorf("x: %w", kind), http.StatusGone},
		{fmt.Errorf("get: %w", store.ErrNotFound), http.StatusNotFound},
		{fmt.Errorf("rename: %w", store.ErrNameTaken), http.StatusConflict},
		{fmt.Errorf("rename: %w", store.ErrInvalid), http.StatusBadRequest},
		// Cancellation wins over whatever else the error says.
		{fmt.Errorf("%w: %w", store.ErrNotFound, context.Canceled), StatusClientClosed},
		{errors.New("disk on fire"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := Status(tt.err); got != tt.want {
			t.Errorf("Status(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
	if got := BadRequest("limit %q: want a number", "x").Error(); got != `limit "x": want a number` {
		t.Errorf("BadRequest's message is the client's to read as written: %q", got)
	}
}

func TestDecode(t *testing.T) {
	type body struct {
		N int    `json:"n"`
		S string `json:"s"`
	}
	tests := []struct {
		name, in string
		opts     DecodeOptions
		want     body
		code     int
		msg      string
	}{
		{"ok", `{"n":1,"s":"a"}`, DecodeOptions{Limit: 100}, body{1, "a"}, 200, ""},
		{"empty optional", ` `, DecodeOptions{Limit: 100, Optional: true}, body{}, 200, ""},
		{"empty required", ``, DecodeOptions{Limit: 100}, body{}, 400, "the body is empty"},
		{"unknown field", `{"m":1}`, DecodeOptions{Limit: 100}, body{}, 400, `unknown field "m"`},
		{"wrong type", `{"n":"1"}`, DecodeOptions{Limit: 100}, body{}, 400, `field "n" must be int`},
		{"trailing", `{} {}`, DecodeOptions{Limit: 100}, body{}, 400, "unexpected data after"},
		{"too large", `{"s":"` + strings.Repeat("a", 200) + `"}`, DecodeOptions{Limit: 100}, body{}, 413, "larger than 100 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.in))
			var got body
			err := Decode(w, r, &got, tt.opts)
			if Status(err) != tt.code || got != tt.want || (tt.msg != "" && !strings.Contains(err.Error(), tt.msg)) {
				t.Errorf("Decode(%q) = %+v, %v (status %d); want %+v, %d %q", tt.in, got, err, Status(err), tt.want, tt.code, tt.msg)
			}
		})
	}
}

type detailed struct{ problems []string }

func (d *detailed) Error() string          { return "2 problems" }
func (d *detailed) Unwrap() error          { return ErrBadRequest }
func (d *detailed) Details() (string, any) { return "problems", d.problems }

// Error answers with the status and message, details beside them, and logs
// only server faults.
func TestError(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	for _, tt := range []struct {
		err    error
		code   int
		body   string
		logged bool
	}{
		{&detailed{[]string{"a", "b"}}, 400, `{"error":"2 problems","problems":["a","b"]}`, false},
		{store.ErrNotFound, 404, `{"error":"not found"}`, false},
		{errors.New("disk on fire"), 500, `{"error":"disk on fire"}`, true},
	} {
		logged.Reset()
		w := httptest.NewRecorder()
		Error(log, w, httptest.NewRequest("GET", "/api/x", nil), tt.err)
		if w.Code != tt.code || strings.TrimSpace(w.Body.String()) != tt.body || (logged.Len() > 0) != tt.logged {
			t.Errorf("%v: %d %s (logged %q)", tt.err, w.Code, w.Body, logged.String())
		}
	}
}
