package share

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/gatescope/gatescope/web"
)

// writeShareFile writes n as a share file: the share pages' list and every
// exchange's page rendered into one document (web.ShareFile), which embeds
// n itself for its script's "Show all" and for imports. n is redacted
// already; the views are made from the same redacted exchanges.
func writeShareFile(ctx context.Context, w io.Writer, n *Native) error {
	var native bytes.Buffer
	enc := json.NewEncoder(&native)
	enc.SetEscapeHTML(false) // the block escapes it as a whole (web.ShareFileBlock)
	if err := enc.Encode(n); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	v := web.ShareFileView{
		SessionName:  n.Session.Name,
		SessionNote:  n.Session.Note,
		ExportedAt:   n.ExportedAt.UTC().Format("2006-01-02 15:04 MST"),
		ExportedISO:  n.ExportedAt.UTC().Format(time.RFC3339),
		Version:      n.Creator.Version,
		Redacted:     n.Redaction.Redacted,
		RedactionOff: n.Redaction.Disabled,
		Export:       native.Bytes(),
	}
	for i, x := range n.Exchanges {
		id := x.ID
		if id == "" {
			id = strconv.Itoa(i)
		}
		anchor := "x-" + id
		href := "#" + url.PathEscape(anchor)
		v.Rows = append(v.Rows, shareRow(x, href))
		v.Exchanges = append(v.Exchanges, web.ShareFileExchange{Anchor: anchor, Index: i,
			View: shareExchangeView(x, n.Session.Name, "#", href, "")})
	}
	c, err := web.ShareFile(v)
	if err != nil {
		return err
	}
	if err := c.Render(ctx, w); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// parseShareFile reads the native export a share file embeds: the JSON
// string in its <script id="gatescope-export"> block (web.ShareFileBlock).
func parseShareFile(data []byte) (*Parsed, error) {
	text, err := shareFileExport(data)
	if err != nil {
		return nil, err
	}
	p, err := parseJSON(text)
	if err != nil {
		return nil, fmt.Errorf("the share file's embedded session: %w", err)
	}
	if p.Format != FormatJSON {
		return nil, invalid("", "the share file embeds a %s, not a gatescope export; was it edited?", p.Format)
	}
	p.Format = FormatHTML
	return p, nil
}

// shareFileExport finds a share file's embedded export and decodes it.
func shareFileExport(data []byte) ([]byte, error) {
	marker := []byte(`id="` + web.ShareFileDataID + `"`)
	at := bytes.Index(data, marker)
	if at < 0 {
		return nil, invalid("", "an HTML page, but not a gatescope share file: it embeds no session (no <script id=%q>). "+
			"A share link's page saved from a browser holds only what it shows; export the session with gatescope export --format html",
			web.ShareFileDataID)
	}
	gt := bytes.IndexByte(data[at:], '>')
	if gt < 0 {
		return nil, invalid("", "the share file is cut short inside its <script id=%q> tag (was the file truncated?)", web.ShareFileDataID)
	}
	start := at + gt + 1
	end := closingScript(data[start:])
	if end < 0 {
		return nil, invalid("", "the share file is cut short: its embedded session has no closing </script> (was the file truncated?)")
	}
	block := bytes.TrimSpace(data[start : start+end])
	line := 1 + bytes.Count(data[:start], []byte("\n"))
	var text string
	if err := json.Unmarshal(block, &text); err != nil {
		return nil, invalid("", "the share file's embedded session (line %d) is not the JSON string gatescope writes there: %v; was the file edited?",
			line, err)
	}
	return []byte(text), nil
}

// closingScript is the index of the first "</script" in b, in any case,
// or -1. A block gatescope wrote holds no '<' at all.
func closingScript(b []byte) int {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("</"))
		if j < 0 {
			return -1
		}
		i += j
		if len(b)-i >= 8 && bytes.EqualFold(b[i+2:i+8], []byte("script")) {
			return i
		}
		i += 2
	}
}
