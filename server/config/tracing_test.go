package config

import (
	"strings"
	"testing"
)

// TestTracing: X-Ray settings are read, not listed: SAM's Tracing (also
// from Globals), a Lambda function's TracingConfig.Mode, a REST API's
// TracingEnabled (also from Globals, for the implicit API).
func TestTracing(t *testing.T) {
	src := `Globals:
  Function:
    Tracing: Active
  Api:
    TracingEnabled: true
Resources:
  Traced:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      Events:
        Get:
          Type: Api
          Properties: {Path: /t, Method: GET}
  Passing:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      Tracing: PassThrough
  Raw:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      Code: src/
      TracingConfig:
        Mode: Active
`
	p := mustParse(t, src, Options{})
	if len(p.NotEmulated) != 0 {
		t.Errorf("tracing listed as not emulated: %v", p.NotEmulated)
	}
	for name, want := range map[string]string{"Traced": TracingActive, "Passing": "", "Raw": TracingActive} {
		if got := p.Function(name).Tracing; got != want {
			t.Errorf("%s.Tracing = %q, want %q", name, got, want)
		}
	}
	if len(p.APIs) != 1 || !p.APIs[0].TracingEnabled {
		t.Errorf("implicit REST API TracingEnabled not read: %+v", p.APIs)
	}

	_, err := Parse(template, []byte(`Resources:
  Bad:
    Type: AWS::Serverless::Function
    Properties: {Runtime: provided.al2023, Handler: bootstrap, Tracing: Sometimes}
`), Options{})
	if err == nil || !strings.Contains(err.Error(), "Tracing") || !strings.Contains(err.Error(), "Active or PassThrough") {
		t.Errorf("bad Tracing: err = %v", err)
	}
}
