package vtl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseJSON reads a JSON document into template values: objects become
// *Map (key order kept), arrays *List (rendered as JSON), whole numbers
// int64 when they fit, other numbers float64.
func ParseJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := readJSON(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

func readJSON(dec *json.Decoder, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, fmt.Errorf("JSON nested more than %d deep", maxJSONDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("unexpected end of JSON input")
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := NewMap()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := readJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				m.Set(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return m, nil
		case '[':
			l := &List{JSON: true}
			for dec.More() {
				v, err := readJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				l.Items = append(l.Items, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return l, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		if n, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return n, nil
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, err
		}
		return f, nil
	case string, bool, nil:
		return t, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// maxJSONDepth bounds the nesting of JSON a template reads.
const maxJSONDepth = 512

// JSONText renders v as compact JSON.
func JSONText(v any, max int) (string, error) {
	b := &limitedBuilder{max: max}
	if err := writeJSON(b, v, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func writeJSON(b *limitedBuilder, v any, depth int) error {
	if depth > maxValueDepth {
		return limitErr("a map or list nested more than %d deep (one that contains itself?)", maxValueDepth)
	}
	switch x := v.(type) {
	case nil:
		return b.add("null")
	case string:
		return b.add(quoteJSON(x))
	case bool:
		return b.add(strconv.FormatBool(x))
	case int64:
		return b.add(strconv.FormatInt(x, 10))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return b.add("null")
		}
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return b.add(javaDouble(x))
		}
		return b.add(strconv.FormatFloat(x, 'g', -1, 64))
	case *Map:
		if err := b.add("{"); err != nil {
			return err
		}
		for i, k := range x.keys {
			if i > 0 {
				if err := b.add(","); err != nil {
					return err
				}
			}
			if err := b.add(quoteJSON(k) + ":"); err != nil {
				return err
			}
			if err := writeJSON(b, x.vals[k], depth+1); err != nil {
				return err
			}
		}
		return b.add("}")
	case *List:
		if err := b.add("["); err != nil {
			return err
		}
		for i, it := range x.Items {
			if i > 0 {
				if err := b.add(","); err != nil {
					return err
				}
			}
			if err := writeJSON(b, it, depth+1); err != nil {
				return err
			}
		}
		return b.add("]")
	}
	return b.add(quoteJSON(scalarText(v)))
}

// quoteJSON quotes s as a JSON string, escaping only what JSON requires.
func quoteJSON(s string) string {
	var sb strings.Builder
	sb.Grow(len(s) + 2)
	sb.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			sb.WriteByte(c)
			i++
			continue
		}
		switch c {
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		case '\b':
			sb.WriteString(`\b`)
		case '\f':
			sb.WriteString(`\f`)
		default:
			if c < 0x20 {
				fmt.Fprintf(&sb, `\u%04x`, c)
				i++
				continue
			}
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				sb.WriteString(`\ufffd`)
			} else {
				sb.WriteString(s[i : i+n])
			}
			i += n
			continue
		}
		i++
	}
	sb.WriteByte('"')
	return sb.String()
}

// JSONPath evaluates the subset of JSONPath API Gateway's $input.path and
// $input.json take: $, .name, ['name'], [n], [*] and .* (which collect a
// JSON list). ok is false when the path leads nowhere.
func JSONPath(root any, path string) (v any, ok bool, err error) {
	p := strings.TrimSpace(path)
	if !strings.HasPrefix(p, "$") {
		return nil, false, fmt.Errorf("JSONPath %q must start with $", path)
	}
	p = p[1:]
	cur := []any{root}
	many := false
	for p != "" {
		var step string // a key, "*" or an index
		isIndex := false
		switch {
		case strings.HasPrefix(p, ".."):
			return nil, false, fmt.Errorf("JSONPath %q: deep scan (..) is not supported", path)
		case p[0] == '.':
			p = p[1:]
			i := 0
			for i < len(p) && p[i] != '.' && p[i] != '[' {
				i++
			}
			step, p = p[:i], p[i:]
			if step == "" {
				return nil, false, fmt.Errorf("JSONPath %q: a name is missing after '.'", path)
			}
		case p[0] == '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return nil, false, fmt.Errorf("JSONPath %q: '[' is never closed", path)
			}
			inner := strings.TrimSpace(p[1:end])
			p = p[end+1:]
			switch {
			case len(inner) >= 2 && (inner[0] == '\'' && inner[len(inner)-1] == '\'' || inner[0] == '"' && inner[len(inner)-1] == '"'):
				step = inner[1 : len(inner)-1]
			case inner == "*":
				step = "*"
			default:
				if _, err := strconv.Atoi(inner); err != nil {
					return nil, false, fmt.Errorf("JSONPath %q: [%s] is not supported (use [n], ['name'] or [*])", path, inner)
				}
				step, isIndex = inner, true
			}
		default:
			return nil, false, fmt.Errorf("JSONPath %q: unexpected %q", path, p[:1])
		}
		var next []any
		for _, c := range cur {
			switch {
			case step == "*" && !isIndex:
				many = true
				switch x := c.(type) {
				case *Map:
					for _, k := range x.keys {
						next = append(next, x.vals[k])
					}
				case *List:
					next = append(next, x.Items...)
				}
			case isIndex:
				n, _ := strconv.Atoi(step)
				if l, ok := c.(*List); ok {
					if n < 0 {
						n += len(l.Items)
					}
					if n >= 0 && n < len(l.Items) {
						next = append(next, l.Items[n])
					}
				}
			default:
				if m, ok := c.(*Map); ok {
					if v, ok := m.vals[step]; ok {
						next = append(next, v)
					}
				}
			}
		}
		cur = next
	}
	if many {
		return &List{Items: cur, JSON: true}, true, nil
	}
	if len(cur) == 0 {
		return nil, false, nil
	}
	return cur[0], true, nil
}
