package main

import (
	"io"
	"net/http"
	"testing"

	"github.com/gatescope/gatescope/server/testenv"
)

// TestPublicMappingPattern serves a public mapping-template pattern as a
// user would: a custom Lambda integration whose response template sets
// the status and rewrites the function's answer. Deployed it answers 400
// {"statuscode":650,"body":"changed"}.
func TestPublicMappingPattern(t *testing.T) {
	testenv.Need(t, "python3")
	a := serveTemplate(t, "testdata/mappingpattern/template.yaml", "")
	resp, err := http.Post("http://"+a.apiLn.Addr().String()+"/dev/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || string(body) != `{"statuscode":650,"body":"changed"}` {
		t.Errorf("POST /dev/ answered %d %s, want 400 {\"statuscode\":650,\"body\":\"changed\"} as deployed", resp.StatusCode, body)
	}
	if n := len(a.project.NotEmulated); n != 0 {
		t.Errorf("the pattern has %d features listed as not emulated: %v", n, a.project.NotEmulated)
	}
}
