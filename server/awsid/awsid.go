// Package awsid makes ids in the shapes AWS hands them out: request ids
// (UUID v4), API Gateway's short request ids, X-Ray trace ids and the hex
// ids of segments and log streams. The formatters are pure; the New
// functions read crypto/rand, which never fails (it panics on a broken
// system).
package awsid

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"time"
)

// UUID returns b as a version 4 UUID, the shape of Lambda's and REST APIs'
// request ids.
func UUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// NewUUID returns a random version 4 UUID.
func NewUUID() string {
	var b [16]byte
	rand.Read(b[:])
	return UUID(b)
}

// HTTPRequestID returns an HTTP API request id ("LV7fzho-PHcEJPw="): 11
// bytes in URL-safe base64, 15 characters and one '=' of padding. Only
// b[:11] is used; REST's extendedRequestId has the same shape.
func HTTPRequestID(b [12]byte) string {
	return base64.URLEncoding.EncodeToString(b[:11])
}

// TraceRoot returns an X-Ray root trace id header part,
// "Root=1-<8 hex epoch seconds>-<24 hex>".
func TraceRoot(t time.Time, b [12]byte) string {
	var out [7 + 8 + 1 + 24]byte
	copy(out[:], "Root=1-")
	sec := strconv.FormatUint(uint64(t.Unix())&0xffffffff, 16)
	for i := 0; i < 8-len(sec); i++ {
		out[7+i] = '0'
	}
	copy(out[7+8-len(sec):], sec)
	out[15] = '-'
	hex.Encode(out[16:], b[:])
	return string(out[:])
}

// NewTraceHeader returns a whole unsampled X-Ray trace header for an
// invocation that came without one: "Root=…;Parent=…;Sampled=0".
func NewTraceHeader(now time.Time) string {
	var b [12]byte
	rand.Read(b[:])
	return TraceRoot(now, b) + ";Parent=" + Hex(8) + ";Sampled=0"
}

// Hex returns n random bytes as 2n hex digits (segment ids, log streams).
func Hex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
