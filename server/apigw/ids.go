package apigw

import (
	"encoding/base64"
	"encoding/hex"
	"hash/fnv"
	"strconv"
	"time"
)

// HTTPRequestID returns an HTTP API request id ("LV7fzho-PHcEJPw="): AWS's
// ids are 11 random bytes in URL-safe base64, which is 15 characters and one
// '=' of padding. Only b[:11] is used; the array is 12 long so callers can
// share one buffer with TraceID. REST extendedRequestId/x-amz-apigw-id has the
// same shape.
func HTTPRequestID(b [12]byte) string {
	return base64.URLEncoding.EncodeToString(b[:11])
}

// UUID returns b as a version 4 UUID, the shape of REST request ids.
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

// TraceID returns an X-Ray root trace id, "Root=1-<8 hex epoch seconds>-<24 hex>".
func TraceID(t time.Time, b [12]byte) string {
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

// APIID derives a stable API Gateway-shaped id (10 characters of [a-z0-9])
// from an API's logical id, so the same template always yields the same
// apiId across restarts and machines.
func APIID(logicalID string) string { return shortID(logicalID, 10) }

// ResourceID derives a REST resourceId (6 characters) from the API id and
// resource path.
func ResourceID(apiID, path string) string { return shortID(apiID+" "+path, 6) }

// DeploymentID derives a REST deploymentId (6 characters) from the API id and stage.
func DeploymentID(apiID, stage string) string { return shortID(apiID+" deployment "+stage, 6) }

func shortID(s string, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	h := fnv.New64a()
	h.Write([]byte(s))
	v := h.Sum64()
	out := make([]byte, n)
	for i := range out {
		out[i] = alphabet[v%36]
		v /= 36
	}
	return string(out)
}

// requestTime formats t the way API Gateway writes requestContext.time and
// requestTime: "14/Apr/2025:22:13:56 +0000", always UTC.
func requestTime(t time.Time) string {
	return t.UTC().Format("02/Jan/2006:15:04:05 +0000")
}
