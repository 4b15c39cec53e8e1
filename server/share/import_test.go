package share

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

const goodEntry = `{"startedDateTime":"2026-03-01T12:00:00Z","time":1,"request":{"method":"GET","url":"http://h/a","httpVersion":"HTTP/1.1","cookies":[],"headers":[],"queryString":[],"headersSize":-1,"bodySize":0},"response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","cookies":[],"headers":[],"content":{"size":0,"mimeType":""},"redirectURL":"","headersSize":-1,"bodySize":0},"cache":{},"timings":{"send":0,"wait":1,"receive":0}}`

func harWith(entries ...string) string {
	return `{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[` + strings.Join(entries, ",") + `]}}`
}

func TestImportErrors(t *testing.T) {
	noMethod := strings.Replace(goodEntry, `"method":"GET",`, "", 1)
	numMethod := strings.Replace(goodEntry, `"method":"GET"`, `"method":5`, 1)
	strStatus := strings.Replace(goodEntry, `"status":200`, `"status":"200"`, 1)
	badDate := strings.Replace(goodEntry, `2026-03-01T12:00:00Z`, `yesterday`, 1)
	badB64 := strings.Replace(goodEntry, `"mimeType":""}`, `"mimeType":"","text":"%%%","encoding":"base64"}`, 1)
	tests := []struct {
		name, file string
		want       string // in the error
		tooLarge   bool
	}{
		{"empty", "  ", "empty file", false},
		{"not JSON", "hello", "not JSON", false},
		{"not JSON at line", "{\n\"log\": x}", "line 2", false},
		{"truncated", harWith(goodEntry)[:200], "truncated", false},
		{"array", "[1,2]", "top level is an array", false},
		{"neither", `{"foo":1}`, "neither a HAR", false},
		{"wrong HAR version", `{"log":{"version":"2.0","entries":[]}}`, `log.version: "2.0" is not a supported HAR version`, false},
		{"version type", `{"log":{"version":1.2,"entries":[]}}`, "log.version: want a string, got a number", false},
		{"no entries", `{"log":{"version":"1.2"}}`, "log.entries: missing", false},
		{"entries type", `{"log":{"version":"1.2","entries":{}}}`, "log.entries: want an array, got an object", false},
		{"missing method", harWith(goodEntry, goodEntry, goodEntry, noMethod), "log.entries[3].request.method: missing", false},
		{"method type", harWith(numMethod), "log.entries[0].request.method: want a string, got number", false},
		{"status type", harWith(strStatus), "log.entries[0].response.status: want a number, got string", false},
		{"entry type", harWith(`"x"`), "log.entries[0]: want an object, got a string", false},
		{"bad date", harWith(badDate), "log.entries[0].startedDateTime", false},
		{"bad base64", harWith(badB64), "log.entries[0].response.content.text: encoding is base64", false},
		{"wrong native version", `{"format":"gatescope/v2","exchanges":[]}`, `format: "gatescope/v2" is not supported`, false},
		{"native missing method", `{"format":"gatescope/v1","exchanges":[{"request":{"url":"/"}}]}`, "exchanges[0].request.method: missing", false},
		{"native wrong type", `{"format":"gatescope/v1","exchanges":[{"request":{"method":"GET","headers":{"a":"b"}}}]}`, "exchanges[0].request.headers: want an array, got string", false},
		{"native bad outcome", `{"format":"gatescope/v1","exchanges":[{"request":{"method":"GET"},"outcome":"meh"}]}`, `exchanges[0].outcome: "meh" is not an outcome`, false},
		{"native null", `{"format":"gatescope/v1","exchanges":[null]}`, "exchanges[0]: want an object, got null", false},
		{"huge", harWith(goodEntry, goodEntry), "larger than", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := openStore(t)
			opts := ImportOptions{Session: "imp"}
			if tt.tooLarge {
				opts.limit = int64(len(goodEntry)) // two entries are over it
			}
			_, err := Import(ctx, db, strings.NewReader(tt.file), opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if tt.tooLarge != errors.Is(err, ErrTooLarge) || !tt.tooLarge && !errors.Is(err, ErrInvalid) {
				t.Errorf("err %v: ErrTooLarge %v ErrInvalid %v", err, errors.Is(err, ErrTooLarge), errors.Is(err, ErrInvalid))
			}
			if _, err := db.Session(ctx, "imp"); err == nil {
				t.Error("a failed import left a session behind")
			}
		})
	}
}

func TestImportPartial(t *testing.T) {
	ctx := context.Background()
	noMethod := strings.Replace(goodEntry, `"method":"GET",`, "", 1)
	file := harWith(goodEntry, noMethod, goodEntry, `7`)
	db := openStore(t)
	_, err := Import(ctx, db, strings.NewReader(file), ImportOptions{Session: "p"})
	var ie *InvalidError
	if !errors.As(err, &ie) || len(ie.Problems) != 2 || !strings.Contains(err.Error(), "and 1 more") {
		t.Fatalf("without --partial: %v", err)
	}
	res, err := Import(ctx, db, strings.NewReader(file), ImportOptions{Session: "p", Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 2 || len(res.Skipped) != 2 || res.Skipped[0].Path != "log.entries[1].request.method" ||
		res.Skipped[1].Path != "log.entries[3]" || res.Session.Exchanges != 2 {
		t.Errorf("partial result = %+v", res)
	}
	// Nothing valid at all: an error even with --partial.
	if _, err := Import(ctx, db, strings.NewReader(harWith(noMethod)), ImportOptions{Session: "q", Partial: true}); !errors.Is(err, ErrInvalid) {
		t.Errorf("partial with no valid entry: %v", err)
	}
	// An empty HAR is a valid, empty import.
	res, err = Import(ctx, db, bytes.NewReader([]byte(harWith())), ImportOptions{Session: "empty"})
	if err != nil || res.Imported != 0 {
		t.Errorf("empty HAR: %+v %v", res, err)
	}
}
