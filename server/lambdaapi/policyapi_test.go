package lambdaapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatescope/gatescope/server/lambda"
)

// fakePolicies holds one function's statements, as JSON strings.
type fakePolicies struct{ stmts map[string]string }

func (f *fakePolicies) GetPolicy(fn string) (string, string, error) {
	if fn != "Fn" {
		return "", "", &lambda.ServiceError{Type: "ResourceNotFoundException", Status: 404, Message: "Function not found: " + fn}
	}
	var parts []string
	for _, s := range f.stmts {
		parts = append(parts, s)
	}
	return `{"Statement":[` + strings.Join(parts, ",") + `]}`, "rev-1", nil
}

func (f *fakePolicies) AddPermission(fn string, in lambda.PermissionInput) (string, error) {
	if _, ok := f.stmts[in.StatementID]; ok {
		return "", &lambda.ServiceError{Type: "ResourceConflictException", Status: 409, Message: "exists"}
	}
	s := `{"Sid":"` + in.StatementID + `","Principal":"` + in.Principal + `","SourceArn":"` + in.SourceArn + `"}`
	f.stmts[in.StatementID] = s
	return s, nil
}

func (f *fakePolicies) RemovePermission(fn, sid, rev string) error {
	if _, ok := f.stmts[sid]; !ok {
		return &lambda.ServiceError{Type: "ResourceNotFoundException", Status: 404, Message: "Statement " + sid + " is not found in resource policy."}
	}
	delete(f.stmts, sid)
	return nil
}

// TestPolicyAPI: the shapes and statuses the AWS CLI and SDKs expect, and
// Lambda's errors with their x-amzn-ErrorType.
func TestPolicyAPI(t *testing.T) {
	api := NewPolicyAPI(slog.New(slog.DiscardHandler), &fakePolicies{stmts: map[string]string{}})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2015-03-31/functions/{name}/policy", api.GetPolicy)
	mux.HandleFunc("POST /2015-03-31/functions/{name}/policy", api.AddPermission)
	mux.HandleFunc("DELETE /2015-03-31/functions/{name}/policy/{sid}", api.RemovePermission)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	do := func(method, path, body string) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+"/2015-03-31/functions/"+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	code, _, body := do("POST", "Fn/policy", `{"StatementId":"s1","Action":"lambda:InvokeFunction","Principal":"apigateway.amazonaws.com","SourceArn":"arn:x"}`)
	var added struct{ Statement string }
	if code != 201 || json.Unmarshal([]byte(body), &added) != nil || !strings.Contains(added.Statement, `"Sid":"s1"`) {
		t.Errorf("AddPermission: %d %s", code, body)
	}
	code, h, body := do("POST", "Fn/policy", `{"StatementId":"s1","Action":"lambda:InvokeFunction","Principal":"x"}`)
	if code != 409 || h.Get("X-Amzn-Errortype") != "ResourceConflictException" || !strings.Contains(body, `"Message":"exists"`) {
		t.Errorf("duplicate: %d %s %s", code, h.Get("X-Amzn-Errortype"), body)
	}
	if code, h, _ := do("POST", "Fn/policy", `{not json`); code != 400 || h.Get("X-Amzn-Errortype") != "InvalidRequestContentException" {
		t.Errorf("bad body: %d %s", code, h.Get("X-Amzn-Errortype"))
	}
	code, _, body = do("GET", "Fn/policy", "")
	var got struct{ Policy, RevisionId string }
	if code != 200 || json.Unmarshal([]byte(body), &got) != nil || got.RevisionId != "rev-1" || !strings.Contains(got.Policy, `"Sid":"s1"`) {
		t.Errorf("GetPolicy: %d %s", code, body)
	}
	if code, h, _ := do("GET", "Nope/policy", ""); code != 404 || h.Get("X-Amzn-Errortype") != "ResourceNotFoundException" {
		t.Errorf("unknown function: %d %s", code, h.Get("X-Amzn-Errortype"))
	}
	if code, _, body := do("DELETE", "Fn/policy/s1", ""); code != 204 || body != "" {
		t.Errorf("RemovePermission: %d %q", code, body)
	}
	if code, h, _ := do("DELETE", "Fn/policy/s1", ""); code != 404 || h.Get("X-Amzn-Errortype") != "ResourceNotFoundException" {
		t.Errorf("remove twice: %d %s", code, h.Get("X-Amzn-Errortype"))
	}
}
