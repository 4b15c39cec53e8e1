package vtl

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Map is an ordered map of strings to values (a Java LinkedHashMap): it
// keeps insertion order, and a template changes it in place.
type Map struct {
	keys []string
	vals map[string]any
}

// NewMap returns an empty map.
func NewMap() *Map { return &Map{vals: map[string]any{}} }

// Get returns the value of k.
func (m *Map) Get(k string) (any, bool) {
	v, ok := m.vals[k]
	return v, ok
}

// Set sets k, appending it when new.
func (m *Map) Set(k string, v any) {
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

// Delete removes k.
func (m *Map) Delete(k string) {
	if _, ok := m.vals[k]; !ok {
		return
	}
	delete(m.vals, k)
	for i, key := range m.keys {
		if key == k {
			m.keys = append(m.keys[:i:i], m.keys[i+1:]...)
			break
		}
	}
}

// Keys returns the keys in order.
func (m *Map) Keys() []string { return m.keys }

// Len is the number of entries.
func (m *Map) Len() int { return len(m.keys) }

// StringMap builds a Map of strings, keys in sorted order or as given.
func StringMap(keys []string, vals map[string]string) *Map {
	m := NewMap()
	for _, k := range keys {
		m.Set(k, vals[k])
	}
	return m
}

// List is a list of values (a Java List). JSON lists (read by
// $input.path or $util.parseJson) render as JSON; lists a template builds
// render Java-style, [a, b].
type List struct {
	Items []any
	JSON  bool
}

// Object is a value with methods and properties of its own ($input,
// $util).
type Object interface {
	// Property returns the value of $o.name; ok is false when o has none.
	Property(name string) (v any, ok bool)
	// Call calls $o.name(args); ok is false when o has no such method.
	Call(name string, args []any) (v any, ok bool, err error)
}

// errLimit is wrapped by errors that hit a Limit.
var errLimit = errors.New("limit")

// limitedBuilder is a strings.Builder that refuses to grow past max bytes.
type limitedBuilder struct {
	strings.Builder
	max int
}

func (b *limitedBuilder) add(s string) error {
	if b.max > 0 && b.Len()+len(s) > b.max {
		return limitErr("the output is over %d bytes", b.max)
	}
	b.WriteString(s)
	return nil
}

type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }
func (e *limitError) Unwrap() error { return errLimit }

func limitErr(format string, args ...any) error {
	return &limitError{msg: fmt.Sprintf(format, args...)}
}

// toText renders v as a reference renders: null as "", maps Java-style,
// JSON lists as JSON. depth and the builder's max bound self-containing
// and huge values.
func writeText(b *limitedBuilder, v any, depth int) error {
	if depth > maxValueDepth {
		return limitErr("a map or list nested more than %d deep (one that contains itself?)", maxValueDepth)
	}
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return b.add(x)
	case *Map:
		if err := b.add("{"); err != nil {
			return err
		}
		for i, k := range x.keys {
			if i > 0 {
				if err := b.add(", "); err != nil {
					return err
				}
			}
			if err := b.add(k + "="); err != nil {
				return err
			}
			if x.vals[k] == nil {
				if err := b.add("null"); err != nil {
					return err
				}
				continue
			}
			if err := writeText(b, x.vals[k], depth+1); err != nil {
				return err
			}
		}
		return b.add("}")
	case *List:
		if x.JSON {
			return writeJSON(b, x, depth)
		}
		if err := b.add("["); err != nil {
			return err
		}
		for i, it := range x.Items {
			if i > 0 {
				if err := b.add(", "); err != nil {
					return err
				}
			}
			if it == nil {
				if err := b.add("null"); err != nil {
					return err
				}
				continue
			}
			if err := writeText(b, it, depth+1); err != nil {
				return err
			}
		}
		return b.add("]")
	}
	return b.add(scalarText(v))
}

// maxValueDepth bounds nesting when a value is rendered or copied.
const maxValueDepth = 100

// scalarText is the Java toString of a scalar.
func scalarText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return javaDouble(x)
	case interface{ String() string }:
		return x.String()
	}
	return ""
}

// javaDouble formats f as Java's Double.toString does: 1.0, 0.001,
// 1.0E-4, 1.5E10.
func javaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64) // 1.5E+10
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	exp = strings.TrimPrefix(exp, "+")
	if strings.HasPrefix(exp, "-") {
		exp = "-" + strings.TrimLeft(exp[1:], "0")
	} else {
		exp = strings.TrimLeft(exp, "0")
	}
	return mant + "E" + exp
}

// truthy is Velocity 1.7's #if: null and false are false, anything else
// (an empty string included) is true.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	}
	return true
}
