package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestStripTokenCookie(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string // nil: no Cookie header left
	}{
		{"no cookies", nil, nil},
		{"others untouched", []string{"a=1;b=2", "c=3"}, []string{"a=1;b=2", "c=3"}},
		{"only the token", []string{"gatescope_token=abc"}, nil},
		{"token among others", []string{"a=1; gatescope_token=abc;b=2"}, []string{"a=1; b=2"}},
		{"token in a second header", []string{"a=1", "gatescope_token=abc"}, []string{"a=1"}},
		{"a longer name is another cookie", []string{"gatescope_token2=x; my_gatescope_token=y"}, []string{"gatescope_token2=x; my_gatescope_token=y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"X-Other": {"v"}}
			if tt.in != nil {
				h["Cookie"] = append([]string(nil), tt.in...)
			}
			stripTokenCookie(h)
			got, ok := h["Cookie"]
			if (tt.want == nil) != !ok || strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Cookie %q (present %v), want %q", got, ok, tt.want)
			}
			if h.Get("X-Other") != "v" {
				t.Error("other headers must stay")
			}
		})
	}
}

// TestTokenCookieNeverReachesFunctions: the dashboard's token cookie, which
// browsers also send to the API port, is neither in the event a function
// gets (HTTP API cookies, REST headers) nor in the captured request.
func TestTokenCookieNeverReachesFunctions(t *testing.T) {
	base, sink, _ := startGateway(t)
	for _, url := range []string{"/items/tok", "/Prod/rest/tok"} {
		req, _ := http.NewRequest("GET", base+url, nil)
		req.Header.Set("Cookie", "session=keep; gatescope_token=s3cret-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", url, resp.StatusCode, body)
		}
		if strings.Contains(string(body), "s3cret-token") || !strings.Contains(string(body), "session=keep") {
			t.Errorf("%s: the function received %s", url, body)
		}
		if strings.HasPrefix(url, "/items/") {
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(body, &ev); err != nil || strings.Join(ev.Cookies, "|") != "session=keep" {
				t.Errorf("cookies %q (%v)", ev.Cookies, err)
			}
		}
		x := waitCaptured(t, sink, url)
		if c := strings.Join(x.Request.Headers["Cookie"], "|") + strings.Join(x.Request.Headers["cookie"], "|"); c != "session=keep" {
			t.Errorf("%s: captured Cookie %q", url, c)
		}
		if strings.Contains(string(x.Event), "s3cret-token") {
			t.Errorf("%s: captured event holds the token: %s", url, x.Event)
		}
	}
}
