package trace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"testing"
)

// The hand encoders of Lambda's segment objects write the JSON that
// json.Marshal writes for the same fields (escaped alike but for HTML's
// characters, which it escapes and segments never need to).
func TestLambdaObjectsEncodeAsJSONMarshal(t *testing.T) {
	type marshalled struct {
		AccountID     string   `json:"account_id,omitempty"`
		FunctionARN   string   `json:"function_arn,omitempty"`
		ResourceNames []string `json:"resource_names,omitempty"`
		RequestID     string   `json:"request_id,omitempty"`
	}
	for _, a := range []lambdaAWS{
		{},
		{RequestID: "c6af9ac6-7b61-11e6-9a41-93e812345678"},
		{AccountID: "123456789012", FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:f", ResourceName: "f"},
		{FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:f"},
		{FunctionARN: "a\"b\\c\n<é>\u2028\x01", ResourceName: "\x7f&"},
	} {
		want, err := json.Marshal(marshalled{a.AccountID, a.FunctionARN, nonEmpty(a.ResourceName), a.RequestID})
		if err != nil {
			t.Fatal(err)
		}
		if got := a.json(); !sameJSON(t, got, want) {
			t.Errorf("%+v:\n got %s\nwant %s", a, got, want)
		}
	}
	for _, c := range []struct {
		timeout       int64
		cold, sampled bool
	}{{0, false, false}, {3000, true, false}, {900000, false, true}} {
		var m gatescopeMeta
		m.Gatescope.TimeoutMs, m.Gatescope.Cold, m.Gatescope.Sampled = c.timeout, c.cold, c.sampled
		want, _ := json.Marshal(m)
		if got := m.json(); !sameJSON(t, got, want) {
			t.Errorf("%+v:\n got %s\nwant %s", c, got, want)
		}
	}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// sameJSON reports whether a and b are the same tokens in the same order:
// the same JSON, whatever escapes either chose.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	ta, tb := tokens(t, a), tokens(t, b)
	return slices.Equal(ta, tb)
}

func tokens(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	var out []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		out = append(out, fmt.Sprintf("%T %v", tok, tok))
	}
}
