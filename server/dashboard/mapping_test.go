package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/gatescope/gatescope/web"
)

// TestInspectorMapping renders the Mapping section of a custom Lambda
// integration whose response template failed: every step in order, the
// failing line marked, and the way to edit the templates.
func TestInspectorMapping(t *testing.T) {
	x := &exchange.Exchange{
		ID: "01MAPPING", StartedAt: time.Unix(0, 0), RouteKey: "POST /orders",
		Request:  exchange.HTTPRequest{Method: "POST", URL: "/orders", Headers: map[string][]string{"Content-Type": {"application/json"}}, Body: `{"id":1}`},
		Event:    json.RawMessage(`{"id": 1}`),
		Function: exchange.FunctionCall{Name: "Orders", RawResponse: json.RawMessage(`{"errorMessage":"not found: 1","errorType":"Error"}`), Error: &exchange.FunctionError{Type: "Error", Message: "not found: 1"}},
		Response: exchange.HTTPResponse{Status: 500},
		Outcome:  exchange.OutcomeMalformedResponse,
		Mapping: &exchange.Mapping{Integration: "AWS",
			Request:    &exchange.TemplateStep{ContentType: "application/json", Template: `{"id": $input.json('$.id')}`, Output: `{"id": 1}`, Note: "The request template for application/json ran."},
			Parameters: []exchange.MappedValue{{Name: "integration.request.header.X-Id", From: "method.request.body.id", Value: "1"}},
			Selection:  &exchange.Selection{Value: "not found: 1", Pattern: "not found.*", Status: 404, Why: `Selection pattern "not found.*" matched the function's errorMessage "not found: 1": status 404`},
			Response:   &exchange.TemplateStep{ContentType: "application/json", Template: "{\n  \"error\": $input.path('$..x')\n}", Note: "The 404 response's template for application/json ran."},
			Error:      &exchange.TemplateError{Template: "response template application/json", Line: 2, Column: 19, Message: "bad path"},
		},
	}
	var buf bytes.Buffer
	if err := web.Inspector(inspectorOf(x, "", true, "127.0.0.1:3000")).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc := testenv.HTML(t, buf.Bytes())
	if doc.Find(`[data-testid="tab-mapping"]`).Length() != 1 {
		t.Error("no Mapping tab")
	}
	var keys []string
	doc.Find(`[data-testid="mapping-steps"] [data-step]`).Each(func(_ int, s *goquery.Selection) { keys = append(keys, s.AttrOr("data-step", "")) })
	want := "request request-template parameters payload result selection response-template response"
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("steps %q, want %q", got, want)
	}
	if e := doc.Find(`[data-testid="mapping-error"]`).Text(); !strings.Contains(e, "response template application/json failed") || !strings.Contains(e, "line 2, column 19") {
		t.Errorf("error box %q", e)
	}
	if bad := doc.Find(`[data-testid="step-template-response-template"] .tline.err`).Text(); !strings.Contains(bad, `"error": $input.path('$..x')`) {
		t.Errorf("marked line %q", bad)
	}
	if n := doc.Find(`[data-testid="step-note-selection"]`).Text(); !strings.Contains(n, `matched the function's errorMessage`) {
		t.Errorf("selection note %q", n)
	}
	if h, _ := doc.Find(`[data-testid="edit-templates"]`).Attr("href"); h != "/exchanges/01MAPPING/edit#templates" {
		t.Errorf("edit link %q", h)
	}
	// A proxy exchange has no Mapping tab.
	x.Mapping = nil
	buf.Reset()
	_ = web.Inspector(inspectorOf(x, "", true, "")).Render(context.Background(), &buf)
	if testenv.HTML(t, buf.Bytes()).Find(`[data-testid="tab-mapping"]`).Length() != 0 {
		t.Error("a proxy exchange shows a Mapping tab")
	}
}
