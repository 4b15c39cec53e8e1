package vtl

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Input is API Gateway's $input: the payload (the request body in a
// request template, the integration's answer in a response template) and
// the request's parameters.
//
// $input.path and $input.json read one parse of the body, which templates
// may change: after #set($root = $input.path('$')) and
// #set($root.status = 650), $input.json('$') shows 650, as in API Gateway.
type Input struct {
	body   string
	params *Map // path, querystring, header
	max    int

	parsed   bool
	root     any
	parseErr error
}

// NewInput returns $input over body (an empty body reads as "{}", as in API
// Gateway) and the request's path, query string and header parameters.
func NewInput(body []byte, path, query, header *Map) *Input {
	b := string(body)
	if len(body) == 0 {
		b = "{}"
	}
	params := NewMap()
	for _, p := range []struct {
		k string
		m *Map
	}{{"path", path}, {"querystring", query}, {"header", header}} {
		if p.m == nil {
			p.m = NewMap()
		}
		params.Set(p.k, p.m)
	}
	return &Input{body: b, params: params, max: DefaultLimits.MaxOutput}
}

func (in *Input) String() string { return "" }

// Property is $input.body and $input.params.
func (in *Input) Property(name string) (any, bool) {
	switch name {
	case "body":
		return in.body, true
	case "params":
		return in.params, true
	}
	return nil, false
}

// Call is $input.json(path), $input.path(path), $input.params() and
// $input.params(name) (the path parameter, else the query string's, else
// the header's; "" when none).
func (in *Input) Call(name string, args []any) (any, bool, error) {
	switch name {
	case "getBody":
		return in.body, true, nil
	case "params":
		switch len(args) {
		case 0:
			return in.params, true, nil
		case 1:
			k := scalarText(args[0])
			for _, where := range []string{"path", "querystring", "header"} {
				m, _ := in.params.vals[where].(*Map)
				if v, ok := m.Get(k); ok && m != nil {
					return v, true, nil
				}
				if where == "header" && m != nil {
					for _, hk := range m.keys {
						if strings.EqualFold(hk, k) {
							return m.vals[hk], true, nil
						}
					}
				}
			}
			return "", true, nil
		}
		return nil, true, fmt.Errorf("takes 0 or 1 arguments, got %d", len(args))
	case "path", "json":
		if len(args) != 1 {
			return nil, true, fmt.Errorf("takes 1 argument (a JSONPath such as '$.name'), got %d", len(args))
		}
		root, err := in.parse()
		if err != nil {
			return nil, true, err
		}
		v, ok, err := JSONPath(root, scalarText(args[0]))
		if err != nil {
			return nil, true, err
		}
		if name == "path" {
			return v, true, nil
		}
		if !ok {
			return "", true, nil
		}
		s, err := JSONText(v, in.max)
		return s, true, err
	}
	return nil, false, nil
}

func (in *Input) parse() (any, error) {
	if !in.parsed {
		in.parsed = true
		in.root, in.parseErr = ParseJSON([]byte(in.body))
		if in.parseErr != nil {
			in.parseErr = fmt.Errorf("the body is not JSON (%v), so $input.path and $input.json cannot read it; use $input.body", in.parseErr)
		}
	}
	return in.root, in.parseErr
}

// Util is API Gateway's $util.
type Util struct{}

func (Util) String() string { return "" }

// Property: $util has none.
func (Util) Property(string) (any, bool) { return nil, false }

// Call is $util.escapeJavaScript, parseJson, urlEncode, urlDecode,
// base64Encode and base64Decode.
func (Util) Call(name string, args []any) (any, bool, error) {
	switch name {
	case "escapeJavaScript", "parseJson", "urlEncode", "urlDecode", "base64Encode", "base64Decode":
	default:
		return nil, false, nil
	}
	if len(args) != 1 {
		return nil, true, fmt.Errorf("takes 1 argument, got %d", len(args))
	}
	if args[0] == nil {
		return nil, true, nil
	}
	s := scalarText(args[0])
	if _, isStr := args[0].(string); !isStr {
		b := &limitedBuilder{max: DefaultLimits.MaxOutput}
		if err := writeText(b, args[0], 0); err != nil {
			return nil, true, err
		}
		s = b.String()
	}
	switch name {
	case "escapeJavaScript":
		return EscapeJavaScript(s), true, nil
	case "parseJson":
		v, err := ParseJSON([]byte(s))
		if err != nil {
			return nil, true, fmt.Errorf("not JSON: %v", err)
		}
		return v, true, nil
	case "urlEncode":
		return URLEncode(s), true, nil
	case "urlDecode":
		v, err := URLDecode(s)
		return v, true, err
	case "base64Encode":
		return base64.StdEncoding.EncodeToString([]byte(s)), true, nil
	case "base64Decode":
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil {
			if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(s), "=")); err != nil {
				return nil, true, fmt.Errorf("not base64: %v", err)
			}
		}
		return strings.ToValidUTF8(string(b), "\uFFFD"), true, nil
	}
	return nil, false, nil
}

// EscapeJavaScript escapes s by JavaScript string rules as Apache Commons
// Lang 2's StringEscapeUtils.escapeJavaScript does: quotes (' included,
// which is not valid in JSON), backslash, '/', control characters, and
// every character past ASCII as \uXXXX (UTF-16, upper-case hex).
func EscapeJavaScript(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for _, u := range utf16.Encode([]rune(s)) {
		switch {
		case u > 0x7f:
			fmt.Fprintf(&b, `\u%04X`, u)
		case u < 0x20:
			switch u {
			case '\b':
				b.WriteString(`\b`)
			case '\n':
				b.WriteString(`\n`)
			case '\t':
				b.WriteString(`\t`)
			case '\f':
				b.WriteString(`\f`)
			case '\r':
				b.WriteString(`\r`)
			default:
				fmt.Fprintf(&b, `\u%04X`, u)
			}
		case u == '\'':
			b.WriteString(`\'`)
		case u == '"':
			b.WriteString(`\"`)
		case u == '\\':
			b.WriteString(`\\`)
		case u == '/':
			b.WriteString(`\/`)
		default:
			b.WriteByte(byte(u))
		}
	}
	return b.String()
}

// URLEncode is Java's URLEncoder.encode(s, "UTF-8"): form encoding, where a
// space is '+' and only letters, digits and ".-*_" stay as they are.
func URLEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '*', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// URLDecode is Java's URLDecoder.decode(s, "UTF-8").
func URLDecode(s string) (string, error) {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b = append(b, ' ')
		case '%':
			if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
				return "", fmt.Errorf("%q has an incomplete or invalid %%-escape at byte %d", s, i)
			}
			b = append(b, byte(unhex(s[i+1])<<4|unhex(s[i+2])))
			i += 2
		default:
			b = append(b, c)
		}
	}
	if !utf8.Valid(b) {
		return strings.ToValidUTF8(string(b), "\uFFFD"), nil
	}
	return string(b), nil
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
