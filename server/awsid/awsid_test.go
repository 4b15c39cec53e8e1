package awsid

import (
	"regexp"
	"testing"
	"time"
)

func TestShapes(t *testing.T) {
	var b12 [12]byte
	var b16 [16]byte
	for i := range b12 {
		b12[i] = byte(0xf0 + i)
	}
	for i := range b16 {
		b16[i] = byte(i * 17)
	}
	tests := []struct {
		name, got, pattern string
	}{
		{"http request id", HTTPRequestID(b12), `^[A-Za-z0-9_-]{15}=$`},
		{"http request id is URL-safe", HTTPRequestID([12]byte{0xff, 0xef}), `^_-8AAAAAAAAAAAA=$`},
		{"uuid v4", UUID(b16), `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
		{"random uuid v4", NewUUID(), `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
		{"trace root", TraceRoot(time.Unix(0x67fd8a54, 0), b12), `^Root=1-67fd8a54-f0f1f2f3f4f5f6f7f8f9fafb$`},
		{"trace root pads seconds", TraceRoot(time.Unix(0x54, 0), b12), `^Root=1-00000054-`},
		{"trace header", NewTraceHeader(time.Unix(0x67fd8a54, 0)), `^Root=1-67fd8a54-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$`},
		{"hex", Hex(8), `^[0-9a-f]{16}$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !regexp.MustCompile(tt.pattern).MatchString(tt.got) {
				t.Errorf("%q does not match %s", tt.got, tt.pattern)
			}
		})
	}
	if u1, u2 := NewUUID(), NewUUID(); u1 == u2 {
		t.Errorf("random UUIDs repeat: %s", u1)
	}
	if h1, h2 := Hex(8), Hex(8); h1 == h2 {
		t.Errorf("random hex repeats: %s", h1)
	}
}
