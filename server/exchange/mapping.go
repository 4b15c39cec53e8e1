package exchange

// Mapping records the steps of a REST non-proxy integration: request →
// request template → the integration's payload (Exchange.Event for a
// function) → its answer (Exchange.Function.RawResponse) → the chosen
// integration response → response template → response.
type Mapping struct {
	// Integration is the integration type: AWS (custom Lambda), MOCK,
	// HTTP or HTTP_PROXY.
	Integration string `json:"integration"`
	// Request is the request template step; nil when the request failed
	// before it (or for HTTP_PROXY).
	Request *TemplateStep `json:"request,omitempty"`
	// Parameters are the integration request parameters the mapping set
	// (integration.request.header.X = value), in order.
	Parameters []MappedValue `json:"parameters,omitempty"`
	// Backend is the HTTP request an HTTP integration sent and the status
	// it got.
	Backend *BackendCall `json:"backend,omitempty"`
	// Selection is the chosen integration response and why.
	Selection *Selection `json:"selection,omitempty"`
	// ResponseParameters are the method response headers mapped.
	ResponseParameters []MappedValue `json:"responseParameters,omitempty"`
	// Response is the response template step.
	Response *TemplateStep `json:"response,omitempty"`
	// Error is the template error that failed the request, if one did.
	Error *TemplateError `json:"error,omitempty"`
}

// TemplateStep is one mapping template applied (or passed over).
type TemplateStep struct {
	// ContentType is the template key the request's Content-Type (or the
	// response's first Accept type) chose.
	ContentType string `json:"contentType"`
	// Template is the text that ran; "" when none did.
	Template string `json:"template,omitempty"`
	// Edited says the text came from an edit & replay, not the template.
	Edited bool `json:"edited,omitempty"`
	// Output is what the template rendered (cut at 256 KB), or the body
	// passed through.
	Output string `json:"output"`
	// OutputCut is the output's full size when Output is cut; 0 otherwise.
	OutputCut int `json:"outputCut,omitempty"`
	// Note says what happened in words: which template and why, or why
	// the body passed through.
	Note string `json:"note"`
}

// MappedValue is one parameter mapping's result.
type MappedValue struct {
	Name  string `json:"name"`
	From  string `json:"from"`
	Value string `json:"value"`
}

// BackendCall is what an HTTP integration sent and got.
type BackendCall struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	Status int    `json:"status"`
}

// Selection is the integration response chosen.
type Selection struct {
	// Value is what selection patterns were matched against: a Lambda
	// error's errorMessage ("" on success), or a status code.
	Value string `json:"value"`
	// Pattern is the selection pattern that matched; "" for the default.
	Pattern string `json:"pattern,omitempty"`
	Default bool   `json:"default,omitempty"`
	Status  int    `json:"status"`
	Why     string `json:"why"`
}

// TemplateError is a template that failed: which, where, what.
type TemplateError struct {
	// Template names it: "request template application/json".
	Template string `json:"template"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Message  string `json:"message"`
}
