package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadEnvVars(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{
  "Hello": {"TABLE": "local-table", "PORT": 8000, "DEBUG": true},
  "Parameters": {"STAGE": "local"}
}`)
	got, err := LoadEnvVars(good)
	if err != nil {
		t.Fatal(err)
	}
	want := EnvVars{"Hello": {"TABLE": "local-table", "PORT": "8000", "DEBUG": "true"}, "Parameters": {"STAGE": "local"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	for _, tt := range []struct{ name, body, want string }{
		{"syntax.json", "{\n  \"Hello\": {\"A\": \"b\",}\n}", "syntax.json:2: invalid JSON"},
		{"flat.json", "{\n  \"A\": \"b\"\n}", `flat.json:2: want {"FunctionLogicalId": {"VAR": "value"}, "Parameters": {...}}: A is "b", not an object`},
		{"nested.json", "{\"Hello\": {\n  \"A\": {\"x\": 1}\n}}", "nested.json:2: Hello.A must be a string, got {\"x\": 1}"},
	} {
		_, err := LoadEnvVars(write(tt.name, tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to say %q", tt.name, err, tt.want)
		}
	}
	if _, err := LoadEnvVars(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: err = %v, want it to name the file", err)
	}
}

// TestEnvVarsOverride: as in SAM CLI, a function's entry beats Parameters,
// and only declared variables are overridden; what matches nothing is
// warned about.
func TestEnvVarsOverride(t *testing.T) {
	src := `Globals:
  Function:
    Environment:
      Variables:
        STAGE: prod
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: hello-fn
      Runtime: python3.12
      Handler: app.handler
      Environment:
        Variables:
          TABLE: !Ref Table
          KEEP: kept
  Other:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
  Table:
    Type: AWS::DynamoDB::Table
`
	p := mustParse(t, src, Options{EnvVars: EnvVars{
		"hello-fn":   {"TABLE": "local", "NEW": "x"}, // by physical name, as SAM CLI also looks up
		"Parameters": {"STAGE": "local", "TABLE": "ignored", "NOWHERE": "y"},
		"Ghost":      {"A": "b"},
	}})
	if diff := cmp.Diff(map[string]string{"STAGE": "local", "TABLE": "local", "KEEP": "kept"}, p.Functions[0].Env); diff != "" {
		t.Errorf("Hello env (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"STAGE": "local"}, p.Functions[1].Env); diff != "" {
		t.Errorf("Other env (-want +got):\n%s", diff)
	}
	want := []Warning{
		warning(lineOf(t, src, "TABLE: !Ref", 1), "Hello", "Environment.Variables",
			"--env-vars sets NEW, which the function's Environment does not declare; as in SAM CLI, only declared variables are overridden"),
		{File: template, Message: "--env-vars Ghost names no function in the template"},
		{File: template, Message: "--env-vars Parameters.NOWHERE matches no variable a function declares; as in SAM CLI, it is not set"},
	}
	// No stand-in warning for TABLE: the function sees the override.
	if diff := cmp.Diff(want, p.Warnings); diff != "" {
		t.Errorf("Warnings (-want +got):\n%s", diff)
	}
}
