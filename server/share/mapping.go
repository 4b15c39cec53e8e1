package share

import (
	"slices"

	"github.com/gatescope/gatescope/server/exchange"
)

// Redaction of a non-proxy integration's mapping steps: rendered templates
// are copies of the request and the function's answer, mapped parameters
// copies of headers, so a secret the template maps would leave with them.

// cloneMapping deep-copies the steps, so redaction never touches the
// stored exchange.
func cloneMapping(m *exchange.Mapping) *exchange.Mapping {
	if m == nil {
		return nil
	}
	c := *m
	for _, s := range []**exchange.TemplateStep{&c.Request, &c.Response} {
		if *s != nil {
			cp := **s
			*s = &cp
		}
	}
	c.Parameters = slices.Clone(m.Parameters)
	c.ResponseParameters = slices.Clone(m.ResponseParameters)
	if m.Backend != nil {
		b := *m.Backend
		c.Backend = &b
	}
	if m.Selection != nil {
		s := *m.Selection
		c.Selection = &s
	}
	if m.Error != nil {
		e := *m.Error
		c.Error = &e
	}
	return &c
}

// mappingText redacts the steps' texts: template outputs by place when
// they are JSON, by shape and echo otherwise; parameters by their header
// names; the backend's URL by its query.
func (rd *Redactor) mappingText(m *exchange.Mapping) {
	if m == nil {
		return
	}
	for _, s := range []*exchange.TemplateStep{m.Request, m.Response} {
		if s == nil {
			continue
		}
		if out, ok := rd.doc([]byte(s.Output)); ok {
			s.Output = string(out)
		} else {
			s.Output = rd.Text(s.Output)
		}
		s.Template = rd.Text(s.Template)
	}
	for _, ps := range [][]exchange.MappedValue{m.Parameters, m.ResponseParameters} {
		for i := range ps {
			if rd.headerName(lastSegment(ps[i].Name)) {
				ps[i].Value = rd.replace(ps[i].Value)
			} else {
				ps[i].Value = rd.Text(ps[i].Value)
			}
		}
	}
	if b := m.Backend; b != nil {
		b.URL = rd.url(b.URL)
	}
	if s := m.Selection; s != nil {
		s.Value = rd.Text(s.Value)
	}
	if e := m.Error; e != nil {
		e.Message = rd.Text(e.Message)
	}
}

// lastSegment is the header name of a mapping parameter's name
// ("integration.request.header.X-Api-Key" → "X-Api-Key").
func lastSegment(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '.' {
			return name[i+1:]
		}
	}
	return name
}
