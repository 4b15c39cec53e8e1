package trace

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Doc is one document a function sent: a segment or a subsegment sent
// alone, complete or in progress, as the X-Ray daemon or the OTLP
// receiver got it. Body is the document's JSON.
type Doc struct {
	TraceID    string
	ID         string
	ParentID   string
	InProgress bool
	// Source is how it came: SourceXRay (the daemon's UDP) or SourceOTLP
	// (spans over UDP or HTTP, converted).
	Source string
	Body   json.RawMessage
	// Nodes are the downstream services the document's subsegments called
	// (DownstreamKey), read while parsing so nothing decodes it again.
	Nodes []string
}

// Sources of documents.
const (
	SourceXRay      = "xray"
	SourceOTLP      = "otlp"
	SourceGatescope = "gatescope"
)

// MaxDatagram is the largest datagram the daemon reads: X-Ray documents
// are at most 64 kB (doc: xray-api-sendingdata), and a datagram cannot be
// larger. A bigger document is dropped.
const MaxDatagram = 64 << 10

// Errors ParseDatagram returns, each counted by the receiver.
var (
	ErrFraming  = errors.New(`not an X-Ray datagram: want a {"format":"json","version":1} header line, then a document`)
	ErrDocument = errors.New("not a segment document")
)

// ParseDatagram reads one daemon datagram: a header line, '\n', then one
// segment document, or (ADOT) "T1S" and base64 OTLP spans. The header is
// parsed, never compared as bytes: Go's SDK writes it with spaces, Node's,
// Python's and ADOT without. Unsampled OTLP ("T1U") and metrics ("M1")
// yield nothing.
func ParseDatagram(b []byte) ([]Doc, error) {
	head, body, ok := bytes.Cut(b, []byte{'\n'})
	if !ok {
		return nil, ErrFraming
	}
	var h struct {
		Format  string          `json:"format"`
		Version json.RawMessage `json:"version"`
	}
	if json.Unmarshal(head, &h) != nil || !strings.EqualFold(h.Format, "json") || strings.TrimSpace(string(h.Version)) != "1" {
		return nil, ErrFraming
	}
	body = bytes.TrimSpace(body)
	switch {
	case bytes.HasPrefix(body, []byte("T1S")):
		raw, err := base64.StdEncoding.AppendDecode(nil, body[3:])
		if err != nil {
			return nil, fmt.Errorf("%w: OTLP spans: %v", ErrDocument, err)
		}
		return DecodeOTLP(raw, false)
	case bytes.HasPrefix(body, []byte("T1U")), bytes.HasPrefix(body, []byte("M1")):
		return nil, nil
	}
	d, err := ParseDocument(body)
	if err != nil {
		return nil, err
	}
	d.Source = SourceXRay
	return []Doc{d}, nil
}

// ParseDocument reads the keys a segment document is filed by. It checks
// the document is a JSON object with an id and a trace id, and no more:
// the daemon does not validate documents either, and the reader of a
// trace skips what it cannot use.
func ParseDocument(body []byte) (Doc, error) {
	if len(body) == 0 || body[0] != '{' || !json.Valid(body) {
		return Doc{}, fmt.Errorf("%w: not a JSON object", ErrDocument)
	}
	s, nodes, ok := scanHead(body)
	if !ok {
		return Doc{}, ErrDocument
	}
	if !validID(s.ID, 64) || !validID(s.TraceID, 64) || len(s.ParentID) > 64 {
		return Doc{}, fmt.Errorf("%w: it needs an id and a trace_id", ErrDocument)
	}
	return Doc{TraceID: s.TraceID, ID: s.ID, ParentID: s.ParentID, InProgress: s.InProgress,
		Body: json.RawMessage(bytes.Clone(body)), Nodes: nodes}, nil
}

// docHead is what the daemon reads of a document to file it.
type docHead struct {
	TraceID, ID, ParentID string
	InProgress            bool
}

// maxDocNodes bounds the nodes one document files.
const maxDocNodes = 32

func validID(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
