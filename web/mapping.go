package web

// MappingView is the inspector's Mapping section: what a REST non-proxy
// integration did between the request and the response, step by step.
type MappingView struct {
	Integration string // AWS, MOCK, HTTP, HTTP_PROXY
	Steps       []MappingStep
	Error       *TemplateErrorView
	EditHref    string // edit & replay with the templates (when replay is possible)
}

// MappingStep is one step: a template with its output, a payload, the
// chosen integration response, ...
type MappingStep struct {
	Key      string // stable id for tests: request, request-template, payload, result, selection, response-template, response
	Title    string
	Note     string
	Template []TemplateLine // the template's text, numbered; nil when none ran
	Edited   bool
	Output   Body
	Values   []Fact // parameters mapped: name ← from = value
}

// TemplateLine is one numbered line of a template; Bad marks the line an
// error points at.
type TemplateLine struct {
	N    int
	Text string
	Bad  bool
}

// TemplateErrorView is the template that failed: which, where, what.
type TemplateErrorView struct {
	Template string
	Where    string // "line 3, column 18"
	Message  string
}
