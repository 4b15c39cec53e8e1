package dashboard

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/web"
)

// mappingOf builds the inspector's Mapping section: request → request
// template (with its output) → the integration's payload → its answer →
// the integration response chosen and why → response template → response.
func mappingOf(x *exchange.Exchange, canReplay bool) *web.MappingView {
	mp := x.Mapping
	if mp == nil {
		return nil
	}
	href := exchangeHref(x.ID)
	v := &web.MappingView{Integration: mp.Integration}
	if canReplay {
		v.EditHref = href + "/edit#templates"
	}
	errLine := func(side string) int {
		if mp.Error != nil && strings.HasPrefix(strings.TrimPrefix(mp.Error.Template, "edited "), side) {
			return mp.Error.Line
		}
		return 0
	}
	add := func(s web.MappingStep) { v.Steps = append(v.Steps, s) }
	add(web.MappingStep{Key: "request", Title: "Request",
		Note: strings.TrimSpace(x.Request.Method + " " + x.Request.URL + contentType(x.Request.Headers))})
	if st := mp.Request; st != nil {
		full := "" // what a mock's or an HTTP call's template rendered is stored cut
		if mp.Integration == "AWS" {
			full = href + "/event.json"
		}
		add(templateStep("request-template", "Request template", st, errLine("request"), full))
	}
	if len(mp.Parameters) > 0 {
		add(web.MappingStep{Key: "parameters", Title: "Request parameters", Values: mapped(mp.Parameters)})
	}
	switch mp.Integration {
	case "AWS":
		if len(x.Event) > 0 {
			add(web.MappingStep{Key: "payload", Title: "Function payload", Note: "What " + x.Function.Name + " was invoked with.",
				Output: jsonBody(x.Event, href+"/event.json")})
		}
		if len(x.Function.RawResponse) > 0 {
			note := "What the function returned."
			if e := x.Function.Error; e != nil {
				note = "The function failed: " + e.Type + ": " + e.Message
			}
			add(web.MappingStep{Key: "result", Title: "Function result", Note: note, Output: jsonBody(x.Function.RawResponse, href+"/body/output")})
		}
	case "MOCK":
		add(web.MappingStep{Key: "payload", Title: "Mock", Note: "A mock calls nothing: its request template's statusCode chooses the integration response."})
	default:
		if b := mp.Backend; b != nil {
			note := b.Method + " " + b.URL
			if b.Status > 0 {
				note += " → " + strconv.Itoa(b.Status)
			}
			add(web.MappingStep{Key: "payload", Title: "HTTP call", Note: note})
		}
	}
	if s := mp.Selection; s != nil {
		step := web.MappingStep{Key: "selection", Title: "Integration response", Note: s.Why}
		pattern := s.Pattern
		if s.Default {
			pattern = "(default)"
		}
		step.Values = []web.Fact{{Label: "Matched against", Value: strconv.Quote(s.Value)}, {Label: "Pattern", Value: pattern}}
		if s.Status > 0 {
			step.Values = append(step.Values, web.Fact{Label: "Status", Value: strconv.Itoa(s.Status)})
		}
		add(step)
	}
	if len(mp.ResponseParameters) > 0 {
		add(web.MappingStep{Key: "response-parameters", Title: "Response parameters", Values: mapped(mp.ResponseParameters)})
	}
	if st := mp.Response; st != nil {
		add(templateStep("response-template", "Response template", st, errLine("response"), href+"/body/response"))
	}
	if e := mp.Error; e != nil {
		v.Error = &web.TemplateErrorView{Template: e.Template, Message: e.Message}
		if e.Line > 0 {
			v.Error.Where = fmt.Sprintf("line %d, column %d", e.Line, e.Column)
		}
	}
	add(web.MappingStep{Key: "response", Title: "Response", Note: responseLine(x.Response.Status) + contentType(x.Response.Headers)})
	return v
}

func templateStep(key, title string, st *exchange.TemplateStep, badLine int, fullURL string) web.MappingStep {
	s := web.MappingStep{Key: key, Title: title + " · " + st.ContentType, Note: st.Note, Edited: st.Edited}
	if st.Template != "" {
		for i, l := range strings.Split(st.Template, "\n") {
			s.Template = append(s.Template, web.TemplateLine{N: i + 1, Text: l, Bad: i+1 == badLine})
		}
	}
	if st.Output != "" {
		s.Output = bodyOf(st.Output, false, st.OutputCut, fullURL)
		if fullURL == "" {
			s.Output.Download, s.Output.FullURL, s.Output.Cut = "", "", false
		}
		if st.OutputCut > 0 {
			s.Output.StoredCut = fmtSize(st.OutputCut)
		}
	} else {
		s.Output = web.Body{Empty: true}
	}
	return s
}

func mapped(vs []exchange.MappedValue) []web.Fact {
	out := make([]web.Fact, len(vs))
	for i, p := range vs {
		out[i] = web.Fact{Label: p.Name + " ← " + p.From, Value: strconv.Quote(p.Value)}
	}
	return out
}

func contentType(h map[string][]string) string {
	for k, vs := range h {
		if strings.EqualFold(k, "Content-Type") && len(vs) > 0 {
			return " · " + vs[0]
		}
	}
	return ""
}
