package dashboard

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gatescope/gatescope/server/exchange"
)

// skipCurlHeaders are set by curl itself or would make its output unreadable.
var skipCurlHeaders = map[string]bool{
	"Host": true, "Content-Length": true, "Connection": true, "Accept-Encoding": true,
	"Transfer-Encoding": true, "Upgrade": true, "Keep-Alive": true,
}

// curlOf writes the captured request as a curl command aimed at the host the
// client used, so a paste re-sends it; apiAddr stands in for a request that
// names none.
func curlOf(x *exchange.Exchange, apiAddr string) string {
	host := apiAddr
	var names []string
	for k, vs := range x.Request.Headers {
		ck := http.CanonicalHeaderKey(k)
		if ck == "Host" && len(vs) > 0 && vs[0] != "" {
			host = vs[0]
		}
		if !skipCurlHeaders[ck] {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	binary := x.Request.IsBase64 && x.Request.Body != ""
	if binary {
		b.WriteString("printf %s " + shellQuote(x.Request.Body) + " | base64 -d | ")
	}
	b.WriteString("curl")
	if x.Request.Method != "" && x.Request.Method != http.MethodGet || x.Request.Body != "" {
		b.WriteString(" -X " + shellQuote(x.Request.Method))
	}
	b.WriteString(" " + shellQuote("http://"+host+x.Request.URL))
	for _, k := range names {
		for _, v := range x.Request.Headers[k] {
			b.WriteString(" \\\n  -H " + shellQuote(k+": "+v))
		}
	}
	switch {
	case binary:
		b.WriteString(" \\\n  --data-binary @-")
	case x.Request.Body != "":
		b.WriteString(" \\\n  --data-binary " + shellQuote(x.Request.Body))
	}
	return b.String()
}

// shellQuote single-quotes s for POSIX shells.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
