package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gatescope/gatescope/server/testenv"
)

func TestInvokeCommand(t *testing.T) {
	testenv.Need(t, "node")
	cache := t.TempDir()
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"event from stdin", []string{"invoke", "Echo", "--template", "testdata/app/template.yaml", "--cache-dir", cache, "--event", "-"},
			`{"pathParameters":{"n":"7"}}`, 0, `{"statusCode":200,"body":"echo 7"}`, "REPORT RequestId: "},
		{"function error exits 1", []string{"invoke", "Echo", "--template", "testdata/app/template.yaml", "--cache-dir", cache},
			"", 1, `"errorType":"TypeError"`, "Invoke Error"},
		{"unknown function", []string{"invoke", "Nope", "--template", "testdata/app/template.yaml", "--cache-dir", cache},
			"", 1, "", "ResourceNotFoundException: Function not found"},
		{"no function named", []string{"invoke", "--template", "testdata/app/template.yaml"}, "", 2, "", "invoke needs a FUNCTION"},
		{"bad template", []string{"invoke", "Echo", "--template", "testdata/missing.yaml"}, "", 1, "", "testdata/missing.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.wantCode || !strings.Contains(stdout.String(), tt.wantStdout) || !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tt.wantCode, stdout.String(), stderr.String())
			}
		})
	}
}
