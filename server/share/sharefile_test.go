package share

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/gatescope/gatescope/store"
	"github.com/gatescope/gatescope/web"
)

// exportHTML exports a session as a share file.
func exportHTML(t *testing.T, db *store.DB, session string, rules Rules) ([]byte, *ExportResult) {
	t.Helper()
	var buf bytes.Buffer
	res, err := Export(context.Background(), db, &buf, Selection{Session: session},
		ExportOptions{Format: FormatHTML, Rules: rules, Version: "v9", Now: func() time.Time { return t0.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), res
}

// embedded is the native export a share file holds, decoded.
func embedded(t *testing.T, file []byte) []byte {
	t.Helper()
	text, err := shareFileExport(file)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestShareFileRoundTrip: export html → import into a fresh store → the
// same exchanges, as the JSON export round-trips; with redaction on, the
// same as the redacted copies.
func TestShareFileRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, redact := range []bool{false, true} {
		t.Run(map[bool]string{false: "no-redact", true: "redacted"}[redact], func(t *testing.T) {
			src := openStore(t)
			s, _ := seed(t, src, "bug-123")
			if err := src.InsertExchanges(ctx, []*exchange.Exchange{hostileExchange(s.Name)}); err != nil {
				t.Fatal(err)
			}
			if _, err := src.UpdateSession(ctx, s.ID, storeNote("a session note")); err != nil {
				t.Fatal(err)
			}
			want := stored(t, src, s.ID)
			if redact {
				rd, _ := NewRedactor(Rules{})
				for i, x := range want {
					want[i] = rd.Exchange(x)
				}
			}
			file, res := exportHTML(t, src, "bug-123", Rules{Off: !redact})
			if res.Exchanges != 4 || res.Redaction.Disabled == redact {
				t.Errorf("result %+v", res)
			}
			dst := openStore(t)
			ir, err := Import(ctx, dst, bytes.NewReader(file), ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if ir.Imported != 4 || ir.Format != FormatHTML || ir.Session.Name != "bug-123" || ir.Session.Note != "a session note" {
				t.Errorf("import result %+v, session %+v", ir, ir.Session)
			}
			sameExchanges(t, want, stored(t, dst, ir.Session.ID))
			// The embedded export is the native export, byte for byte.
			var buf bytes.Buffer
			if _, err := Export(ctx, src, &buf, Selection{Session: "bug-123"}, ExportOptions{Format: FormatJSON, Rules: Rules{Off: !redact},
				Version: "v9", Now: func() time.Time { return t0.Add(time.Hour) }}); err != nil {
				t.Fatal(err)
			}
			var a, b bytes.Buffer
			json.Compact(&a, buf.Bytes())
			json.Compact(&b, embedded(t, file))
			if a.String() != b.String() {
				t.Errorf("the embedded export is not the JSON export:\n%s\n%s", a.String(), b.String())
			}
		})
	}
}

// hostileExchange holds what could break a file out of its elements in
// every place a share file writes: names, paths, headers, bodies, the
// event, the output, logs, notes.
func hostileExchange(session string) *exchange.Exchange {
	const evil = "</script><script>alert(1)</script> <!-- <script> \u2028\u2029 </SCRIPT > ]]> --> <img src=http://example.invalid/x>"
	ev, _ := json.Marshal(map[string]any{"rawPath": "/" + evil, "body": evil, "n": json.Number("12345678901234567890")})
	out, _ := json.Marshal(map[string]any{"statusCode": 500, "body": evil})
	return &exchange.Exchange{
		ID:         exchange.NewID(t0.Add(10 * time.Second)),
		Session:    session,
		API:        exchange.APIRef{ID: "api<!--", Type: "HTTP", Stage: "$default"},
		RouteKey:   "GET /" + evil,
		StartedAt:  t0.Add(10 * time.Second),
		DurationMs: 1,
		Request: exchange.HTTPRequest{Method: "GET", URL: "/" + evil,
			Headers: map[string][]string{"X-" + evil: {evil}}, Body: evil},
		Event:       ev,
		Function:    exchange.FunctionCall{Name: "Fn" + evil, RawResponse: out, Error: &exchange.FunctionError{Type: evil, Message: evil}},
		Response:    exchange.HTTPResponse{Status: 500, Headers: map[string][]string{"Content-Type": {"text/html"}}, Body: evil},
		Outcome:     exchange.OutcomeFunctionError,
		Explanation: evil,
		Logs:        evil + "\n",
		Note:        evil,
	}
}

// TestShareFileHostileData: text that would end a script, start a
// comment or an element, or end a line in JavaScript, in every place an
// exchange carries it, is shown as text and never changes the document:
// the same elements, the same two scripts, the data block whole.
func TestShareFileHostileData(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	name := "bug </script>\u2028<!--"
	x := hostileExchange(name)
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{x}); err != nil {
		t.Fatal(err)
	}
	file, _ := exportHTML(t, db, name, Rules{Off: true})
	doc := testenv.HTML(t, file)
	if n := doc.Find("script").Length(); n != 2 {
		t.Fatalf("%d script elements, want the data block and the module", n)
	}
	if n := doc.Find("img, iframe, link[rel=stylesheet]").Length(); n != 0 {
		t.Errorf("%d elements from captured data", n)
	}
	block := doc.Find("script#" + web.ShareFileDataID)
	raw, _ := block.Html()
	if strings.ContainsAny(raw, "<\u2028\u2029") {
		t.Error("the data block holds '<' or a line separator")
	}
	for _, sel := range []string{`[data-testid="share-request"] pre`, `[data-testid="share-response"] pre`, `[data-testid="share-logs"] pre`,
		`[data-testid="explanation"]`, `[data-testid="ex-url"]`} {
		if got := doc.Find(`.sf-exchange ` + sel).Text(); !strings.Contains(got, "</script><script>alert(1)</script> <!-- <script>") {
			t.Errorf("%s shows %q", sel, got)
		}
	}
	if got := doc.Find(`[data-testid="share-session"]`).Text(); got != name {
		t.Errorf("session name %q", got)
	}
	// And it imports back exactly.
	dst := openStore(t)
	ir, err := Import(ctx, dst, bytes.NewReader(file), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ir.Session.Name != name {
		t.Errorf("session %q", ir.Session.Name)
	}
	sameExchanges(t, stored(t, db, mustSession(t, db, name)), stored(t, dst, ir.Session.ID))
}

func mustSession(t *testing.T, db *store.DB, name string) string {
	t.Helper()
	s, err := db.Session(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return s.ID
}

// TestShareFileRedacted: secrets planted everywhere an exchange carries
// them appear nowhere in the file: not in its bytes, not base64 encoded,
// not in the text a browser shows, not in the session it embeds.
func TestShareFileRedacted(t *testing.T) {
	ctx := context.Background()
	rules := Rules{Headers: []string{"X-Tenant-Secret"}, JSONPaths: []string{"$.password", "echo"}, Regexes: []string{`CUST-\d+-PRIVATE`}}
	db := openStore(t)
	binary := secretExchange()
	binary.ID, binary.StartedAt = exchange.NewID(t0.Add(5e9)), t0.Add(5e9)
	binary.Response.IsBase64 = true
	binary.Response.Body = base64.StdEncoding.EncodeToString([]byte("\x00\x01bin " + secKeyID + " " + secSecret))
	big := secretExchange() // parts over what a page shows: the rest is only in the embedded session
	big.ID, big.StartedAt = exchange.NewID(t0.Add(6e9)), t0.Add(6e9)
	big.Logs = strings.Repeat("padding line\n", 4<<10) + big.Logs
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{secretExchange(), binary, big}); err != nil {
		t.Fatal(err)
	}
	s, _ := db.Session(ctx, "s")
	if _, err := db.UpdateSession(ctx, s.ID, storeNote("prod creds: AWS_SECRET_ACCESS_KEY="+secSecret)); err != nil {
		t.Fatal(err)
	}
	file, res := exportHTML(t, db, "s", rules)
	doc := testenv.HTML(t, file)
	var native Native
	if err := json.Unmarshal(embedded(t, file), &native); err != nil {
		t.Fatal(err)
	}
	nativeJSON, _ := json.Marshal(native) // strings decoded, then written plainly
	texts := map[string]string{"file": string(file), "shown text": doc.Text(), "embedded session": string(embedded(t, file)),
		"embedded session, decoded": string(nativeJSON)}
	doc.Find("[title], [content]").Each(func(_ int, s *goquery.Selection) {
		texts["attributes"] += s.AttrOr("title", "") + s.AttrOr("content", "")
	})
	for where, text := range texts {
		for _, sec := range allSecrets {
			for _, form := range []string{sec, base64.StdEncoding.EncodeToString([]byte(sec))} {
				if i := strings.Index(text, form); i >= 0 {
					t.Errorf("secret %q survives in the %s: ...%s...", sec, where, text[max(0, i-80):min(len(text), i+80)])
				}
			}
		}
	}
	if res.Redaction.Redacted < len(allSecrets) || !strings.Contains(doc.Find(`[data-testid="sf-redaction"]`).Text(), "secrets redacted") {
		t.Errorf("report %+v; the file says %q", res.Redaction, doc.Find(`[data-testid="sf-redaction"]`).Text())
	}
	if !strings.Contains(doc.Text(), Redacted) {
		t.Error("the file shows no redaction marks")
	}
	// --no-redact says so, on the file itself.
	file, _ = exportHTML(t, db, "s", Rules{Off: true})
	if !bytes.Contains(file, []byte(secBearer)) || !bytes.Contains(file, []byte("redaction off: secrets as captured")) {
		t.Error("a --no-redact share file lost its secrets or does not say it holds them")
	}
}

// TestShareFileViews: the file shows what the share pages show: the list
// of rows linking to each exchange in the file, each exchange's parts,
// and a part over the page's bound cut with Show all (no server link).
func TestShareFileViews(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	s, xs := seed(t, db, "views")
	long := sample("views")[0]
	long.ID, long.StartedAt = exchange.NewID(t0.Add(time.Minute)), t0.Add(time.Minute)
	long.Response.Body = `{"items":[` + strings.Repeat(`"item",`, 10_000) + `"end"]}`
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{long}); err != nil {
		t.Fatal(err)
	}
	xs = append(xs, stored(t, db, s.ID)[3])
	file, _ := exportHTML(t, db, "views", Rules{Off: true})
	doc := testenv.HTML(t, file)
	rows := doc.Find(`[data-testid="share-row"]`)
	boxes := doc.Find(`[data-testid="sf-exchange"]`)
	if rows.Length() != 4 || boxes.Length() != 4 {
		t.Fatalf("%d rows, %d exchanges", rows.Length(), boxes.Length())
	}
	for i, x := range xs {
		href := rows.Eq(i).Find(`[data-testid="share-link"]`).AttrOr("href", "")
		box := boxes.Eq(i)
		if href != "#x-"+x.ID || box.AttrOr("id", "") != "x-"+x.ID || box.AttrOr("data-index", "") != string(rune('0'+i)) {
			t.Errorf("row %d links %q to exchange %q (index %s)", i, href, box.AttrOr("id", ""), box.AttrOr("data-index", ""))
		}
		if got := box.Find(`[data-testid="ex-url"]`).Text(); got != x.Request.URL {
			t.Errorf("exchange %d shows %q", i, got)
		}
		if back := box.Find(`[data-testid="share-back"]`).AttrOr("href", ""); back != "#" {
			t.Errorf("exchange %d goes back to %q", i, back)
		}
	}
	b := boxes.Eq(1)
	if !strings.Contains(b.Find(`[data-testid="explanation"]`).Text(), "boom") || !strings.Contains(b.Find(`[data-testid="share-logs"]`).Text(), "ERROR boom") ||
		b.Find(`[data-testid="share-logs-truncated"]`).Length() != 1 || !strings.Contains(b.Find(`[data-testid="share-error"]`).Text(), "at a") {
		t.Errorf("the failed exchange's parts: %s", b.Text())
	}
	cut := boxes.Eq(3).Find(`[data-testid="share-response-all"]`)
	if cut.Length() != 1 || goquery.NodeName(cut) != "button" || cut.AttrOr("data-part", "") != "response" {
		t.Errorf("the long response's Show all: %d %s", cut.Length(), goquery.NodeName(cut))
	}
	if n := len(boxes.Eq(3).Find(`[data-testid="share-response"] pre`).Text()); n > shownBytes {
		t.Errorf("the long response shows %d bytes", n)
	}
	if bytes.Contains(file, []byte("/raw/")) {
		t.Error("the file links to a server's raw parts")
	}
}

// TestImportShareFileErrors: what is wrong with an HTML file is named.
func TestImportShareFileErrors(t *testing.T) {
	db := openStore(t)
	seed(t, db, "e")
	file, _ := exportHTML(t, db, "e", Rules{})
	text, err := shareFileExport(file)
	if err != nil {
		t.Fatal(err)
	}
	open := `<script type="application/json" id="gatescope-export">`
	at := bytes.Index(file, []byte(open)) + len(open)
	end := at + closingScript(file[at:])
	withBlock := func(block string) string { return string(file[:at]) + block + string(file[end:]) }
	nativeBlock := func(native string) string { b, _ := json.Marshal(native); return withBlock(string(b)) }
	tests := []struct{ name, file, want string }{
		{"a web page", "<!DOCTYPE html><html><body>hello</body></html>", "an HTML page, but not a gatescope share file"},
		{"a share link's page", `<html><body data-page="share">…</body></html>`, "export the session with gatescope export --format html"},
		{"truncated", string(file[:at+100]), "cut short: its embedded session has no closing </script>"},
		{"truncated in the tag", string(file[:at-1]), "cut short inside its <script"},
		{"edited into an object", withBlock(string(text)), "is not the JSON string gatescope writes there"},
		{"not JSON inside", nativeBlock("{\"format\":"), "the share file's embedded session: truncated"},
		{"a HAR inside", nativeBlock(harWith(goodEntry)), "embeds a har, not a gatescope export"},
		{"a bad exchange inside", nativeBlock(`{"format":"gatescope/v1","exchanges":[{"request":{"url":"/"}}]}`),
			"exchanges[0].request.method: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Import(context.Background(), openStore(t), strings.NewReader(tt.file), ImportOptions{Session: "imp"})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid saying %q", err, tt.want)
			}
		})
	}
	// The block, whole, with other bytes around it still imports.
	if _, err := Import(context.Background(), openStore(t), strings.NewReader("\ufeff\n  "+string(file)+"\n"), ImportOptions{}); err != nil {
		t.Errorf("a share file with a BOM and spaces: %v", err)
	}
}

// TestShareFileLinear: a share file holds the session once (embedded,
// compact, as a JSON string) and each exchange's parts cut as a page cuts
// them, so hostile nesting costs what it costs the share pages: linear,
// never an indentation per level per line. (encoding/json refuses to
// write documents nested deeper than 10,000, in every export format.)
func TestShareFileLinear(t *testing.T) {
	ctx := context.Background()
	docs := []struct{ name, doc string }{
		{"depth 9,000", strings.Repeat("[", 9_000) + strings.Repeat("]", 9_000)},
		{"depth 500, 200,000 items", strings.Repeat(`{"k":`, 500) + "[" + strings.Repeat("0,", 200_000) + "0]" + strings.Repeat("}", 500)},
	}
	for i, c := range docs {
		t.Run(c.name, func(t *testing.T) {
			db := openStore(t)
			x := sample("deep")[0]
			x.ID, x.StartedAt = exchange.NewID(t0.Add(time.Duration(i)*time.Minute)), t0.Add(time.Duration(i)*time.Minute)
			x.Request.Body, x.Response.Body = c.doc, c.doc
			x.Event, x.Function.RawResponse = json.RawMessage(c.doc), json.RawMessage(c.doc)
			x.Logs = strings.Repeat(c.doc+"\n", 4)
			if err := db.InsertExchanges(ctx, []*exchange.Exchange{x}); err != nil {
				t.Fatal(err)
			}
			stored := 8 * len(c.doc)
			var file []byte
			got := allocated(func() { file, _ = exportHTML(t, db, "deep", Rules{Off: true}) })
			// The embedded string escapes quotes (at most 2 bytes a byte), the
			// parts show at most shownBytes each (6 of them), plus the assets.
			if max := 2*stored + 6*shownBytes + 64<<10; len(file) > max {
				t.Errorf("share file is %d KB for %d KB stored, want at most %d KB", len(file)>>10, stored>>10, max>>10)
			}
			if max := 40*stored + 16<<20; got > uint64(max) {
				t.Errorf("export allocated %d MB for %d KB stored", got>>20, stored>>10)
			}
			t.Logf("%s: %d KB stored, share file %d KB, %.1f MB allocated", c.name, stored>>10, len(file)>>10, float64(got)/(1<<20))
		})
	}
}
