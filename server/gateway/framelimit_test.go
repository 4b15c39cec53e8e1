package gateway

import "testing"

// frame is a masked client frame header for a payload of n bytes.
func frame(op byte, n int) []byte {
	h := []byte{0x80 | op}
	switch {
	case n < 126:
		h = append(h, 0x80|byte(n))
	case n < 1<<16:
		h = append(h, 0x80|126, byte(n>>8), byte(n))
	default:
		h = append(h, 0x80|127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(append(h, 1, 2, 3, 4), make([]byte, n)...)
}

func TestFrameLimit(t *testing.T) {
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	small, big := frame(1, 100), frame(1, 40000)
	tests := []struct {
		name   string
		stream []byte
		chunk  int // bytes per read
		want   int // offset in the stream of the offending frame, -1 for none
	}{
		{"frames under the limit", cat(small, frame(0, 32768), frame(1, 0)), 1000, -1},
		{"a big frame after a small one", cat(small, big), 4096, len(small)},
		{"a header split across reads", cat(small, big), len(small) + 3, len(small) + 3},
		{"one byte at a time", cat(small, frame(1, 70000)), 1, len(small) + 13},
		{"64-bit length", cat(frame(1, 1<<17)), 4096, 0},
		{"control frames are not data", cat(frame(9, 125), small), 64, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := frameLimit{max: 32768}
			got := -1
			for off := 0; off < len(tt.stream) && got < 0; off += tt.chunk {
				end := min(off+tt.chunk, len(tt.stream))
				if bad := f.scan(tt.stream[off:end]); bad >= 0 {
					got = off + bad
				}
			}
			if got != tt.want {
				t.Errorf("violation at %d, want %d", got, tt.want)
			}
		})
	}
}
