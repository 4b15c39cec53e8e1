package apigw

import (
	"regexp"
	"testing"
	"time"
)

func TestIDs(t *testing.T) {
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
		{"uuid v4", UUID(b16), `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
		{"trace id", TraceID(time.Unix(0x67fd8a54, 0), b12), `^Root=1-67fd8a54-f0f1f2f3f4f5f6f7f8f9fafb$`},
		{"trace id pads seconds", TraceID(time.Unix(0x54, 0), b12), `^Root=1-00000054-`},
		{"api id", APIID("ServerlessHttpApi"), `^[a-z0-9]{10}$`},
		{"resource id", ResourceID("abc", "/items"), `^[a-z0-9]{6}$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !regexp.MustCompile(tt.pattern).MatchString(tt.got) {
				t.Errorf("%q does not match %s", tt.got, tt.pattern)
			}
		})
	}
	if a1, a2 := APIID("A"), APIID("A"); a1 != a2 || a1 == APIID("B") {
		t.Error("APIID must be stable and distinguish ids")
	}
	if got := HTTPRequestID([12]byte{0xff, 0xef}); got != "_-8AAAAAAAAAAAA=" {
		t.Errorf("HTTPRequestID uses URL-safe base64: got %q", got)
	}
}
