package trace

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Sampling decisions a trace header carries.
const (
	SampledUnknown = ""  // no Sampled key, or Sampled=?: downstream decides
	SampledYes     = "1" // record
	SampledNo      = "0" // do not record
)

// Header is an X-Amzn-Trace-Id: Root=1-…;Parent=…;Sampled=0|1|?, with
// keys it does not know (Lineage, an SDK's own) kept in order.
type Header struct {
	Root    string // "1-5759e988-bd862e3fe1be46a994272793"
	Parent  string // 16 hex digits
	Sampled string // SampledYes, SampledNo or SampledUnknown
	Extra   []string
}

// ParseHeader parses a trace header as the X-Ray SDKs do: split at ';',
// trim, key=value; Self is dropped (it names a load balancer's own
// segment), unknown keys are kept. A header without Root yields an empty
// Root.
func ParseHeader(s string) Header {
	var h Header
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "root":
			h.Root = v
		case "parent":
			h.Parent = v
		case "sampled":
			switch v {
			case "1":
				h.Sampled = SampledYes
			case "0":
				h.Sampled = SampledNo
			}
		case "self":
		default:
			h.Extra = append(h.Extra, part)
		}
	}
	return h
}

// String formats the header, Root first, as AWS writes it.
func (h Header) String() string {
	var b strings.Builder
	add := func(s string) {
		if b.Len() > 0 {
			b.WriteByte(';')
		}
		b.WriteString(s)
	}
	if h.Root != "" {
		add("Root=" + h.Root)
	}
	if h.Parent != "" {
		add("Parent=" + h.Parent)
	}
	switch h.Sampled {
	case SampledYes, SampledNo:
		add("Sampled=" + h.Sampled)
	default:
		if h.Root != "" {
			add("Sampled=?")
		}
	}
	for _, e := range h.Extra {
		add(e)
	}
	return b.String()
}

// NewRoot returns a new X-Ray trace id for a trace started at t:
// "1-<8 hex epoch seconds>-<24 random hex>".
func NewRoot(t time.Time) string {
	var b [12]byte
	rand.Read(b[:])
	sec := strconv.FormatUint(uint64(t.Unix())&0xffffffff, 16)
	return "1-" + strings.Repeat("0", 8-len(sec)) + sec + "-" + hex.EncodeToString(b[:])
}

// NewID returns a new segment id: 16 random hex digits.
func NewID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// RootFromHeaderID returns the X-Ray trace id in s, which may be a whole
// header ("Root=1-…;Parent=…") or a bare id; "" when it holds none.
func RootFromHeaderID(s string) string {
	if strings.Contains(s, "=") {
		return ParseHeader(s).Root
	}
	return strings.TrimSpace(s)
}

// W3C converts an X-Ray trace id to the 32 hex digits OpenTelemetry uses
// (1-5759e988-bd862e3fe1be46a994272793 → 5759e988bd862e3fe1be46a994272793);
// "" when root is not one.
func W3C(root string) string {
	if len(root) != 35 || root[0] != '1' || root[1] != '-' || root[10] != '-' {
		return ""
	}
	id := root[2:10] + root[11:]
	if !isHex(id) {
		return ""
	}
	return strings.ToLower(id)
}

// FromW3C converts 32 hex digits to an X-Ray trace id.
func FromW3C(id string) string {
	if len(id) != 32 || !isHex(id) {
		return ""
	}
	id = strings.ToLower(id)
	return "1-" + id[:8] + "-" + id[8:]
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}
