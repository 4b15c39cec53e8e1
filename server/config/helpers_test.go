package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// appDir is where inline test templates pretend to live; Parse never reads
// it, so CodeDir expectations are stable on every machine.
const (
	appDir   = "/srv/app"
	template = appDir + "/template.yaml"
)

func mustParse(t *testing.T, src string, opts Options) *Project {
	t.Helper()
	p, err := Parse(template, []byte(src), opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

// lineOf is the 1-based line of the n-th (1-based) occurrence of substr.
func lineOf(t *testing.T, src, substr string, n int) int {
	t.Helper()
	off := 0
	for i := 0; i < n; i++ {
		j := strings.Index(src[off:], substr)
		if j < 0 {
			t.Fatalf("lineOf: %q occurrence %d not in template", substr, n)
		}
		off += j + len(substr)
	}
	return strings.Count(src[:off-len(substr)], "\n") + 1
}

// localFn is a function with every default, as SAM would deploy it.
func localFn(name, runtime, handler string) *Function {
	return &Function{
		Name:         name,
		FunctionName: name,
		Runtime:      runtime,
		Handler:      handler,
		CodeDir:      appDir,
		Architecture: "x86_64",
		Timeout:      3 * time.Second,
		MemoryMB:     128,
	}
}

func warning(line int, res, prop, msg string) Warning {
	return Warning{File: template, Line: line, Resource: res, Property: prop, Message: msg}
}

func diffProject(t *testing.T, want, got *Project) {
	t.Helper()
	// Where the stack lives is pinned by TestParseNamesRegionAndAccount.
	// Permissions are pinned by TestPermissions.
	where := cmpopts.IgnoreFields(Project{}, "Region", "AccountID", "Permissions")
	apiWhere := cmpopts.IgnoreFields(API{}, "Region", "AccountID")
	// Where Timeout is set is pinned by TestTimeoutAt.
	timeoutAt := cmpopts.IgnoreFields(Function{}, "TimeoutAt")
	if diff := cmp.Diff(want, got, where, apiWhere, timeoutAt); diff != "" {
		t.Errorf("project mismatch (-want +got):\n%s", diff)
	}
}
