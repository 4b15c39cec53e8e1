package apigw

import (
	"regexp"
	"testing"
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
}
