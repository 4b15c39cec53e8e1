package vtl

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf16"
)

// call is $v.name(args): the Java methods of strings, maps, lists and
// numbers that templates use, or an Object's own. An unknown method is
// null, as a method Velocity cannot find renders nothing in API Gateway.
func (r *renderer) call(v any, name string, args []any) (any, error) {
	switch x := v.(type) {
	case string:
		return r.stringMethod(x, name, args)
	case *Map:
		return r.mapMethod(x, name, args)
	case *List:
		return r.listMethod(x, name, args)
	case int64, float64:
		return numberMethod(x, name, args)
	case bool:
		switch name {
		case "toString":
			return scalarText(x), nil
		case "booleanValue":
			return x, nil
		case "equals":
			if len(args) == 1 {
				return equal(x, args[0]), nil
			}
		}
		return nil, nil
	case Object:
		out, ok, err := x.Call(name, args)
		if !ok {
			return nil, nil
		}
		return out, err
	}
	return nil, nil
}

func argCount(args []any, n ...int) error {
	for _, k := range n {
		if len(args) == k {
			return nil
		}
	}
	return fmt.Errorf("takes %v arguments, got %d", n, len(args))
}

func strArg(args []any, i int) (string, error) {
	if i >= len(args) || args[i] == nil {
		return "", fmt.Errorf("argument %d is null", i+1)
	}
	if s, ok := args[i].(string); ok {
		return s, nil
	}
	return scalarText(args[i]), nil
}

func intArg(args []any, i int) (int, error) {
	if i >= len(args) {
		return 0, fmt.Errorf("argument %d is missing", i+1)
	}
	n, ok := toInt(args[i])
	if !ok || n > 1<<31 || n < -(1<<31) {
		return 0, fmt.Errorf("argument %d must be a whole number, got %s", i+1, describe(args[i]))
	}
	return int(n), nil
}

// javaString is a string as Java sees it: UTF-16 code units, which is what
// length(), substring() and indexOf() count.
func units(s string) []uint16 { return utf16.Encode([]rune(s)) }

func fromUnits(u []uint16) string { return string(utf16.Decode(u)) }

func (r *renderer) checkLen(n int) error {
	if n > r.lim.MaxOutput {
		return limitErr("a string over %d bytes", r.lim.MaxOutput)
	}
	return nil
}

func (r *renderer) stringMethod(s, name string, args []any) (any, error) {
	switch name {
	case "toString", "trim", "toLowerCase", "toUpperCase", "length", "isEmpty", "isBlank", "hashCode", "intern", "strip":
		if err := argCount(args, 0); err != nil {
			return nil, err
		}
		switch name {
		case "toString", "intern":
			return s, nil
		case "trim":
			return strings.TrimFunc(s, func(c rune) bool { return c <= ' ' }), nil
		case "strip":
			return strings.TrimSpace(s), nil
		case "toLowerCase":
			return strings.ToLower(s), nil
		case "toUpperCase":
			return strings.ToUpper(s), nil
		case "length":
			return int64(len(units(s))), nil
		case "isEmpty":
			return s == "", nil
		case "isBlank":
			return strings.TrimSpace(s) == "", nil
		case "hashCode":
			var h int32
			for _, u := range units(s) {
				h = 31*h + int32(u)
			}
			return int64(h), nil
		}
	case "contains", "startsWith", "endsWith", "equals", "equalsIgnoreCase", "concat", "matches":
		if err := argCount(args, 1); err != nil {
			return nil, err
		}
		a, err := strArg(args, 0)
		if err != nil {
			return nil, err
		}
		switch name {
		case "contains":
			return strings.Contains(s, a), nil
		case "startsWith":
			return strings.HasPrefix(s, a), nil
		case "endsWith":
			return strings.HasSuffix(s, a), nil
		case "equals":
			_, isStr := args[0].(string)
			return isStr && s == a, nil
		case "equalsIgnoreCase":
			return strings.EqualFold(s, a), nil
		case "concat":
			if err := r.checkLen(len(s) + len(a)); err != nil {
				return nil, err
			}
			return s + a, nil
		case "matches":
			re, err := javaRegexp("^(?:" + a + ")$")
			if err != nil {
				return nil, err
			}
			return re.MatchString(s), nil
		}
	case "indexOf", "lastIndexOf":
		if err := argCount(args, 1, 2); err != nil {
			return nil, err
		}
		a, err := strArg(args, 0)
		if err != nil {
			return nil, err
		}
		u, au := units(s), units(a)
		from := 0
		if name == "lastIndexOf" {
			from = len(u)
		}
		if len(args) == 2 {
			if from, err = intArg(args, 1); err != nil {
				return nil, err
			}
		}
		return int64(indexUnits(u, au, from, name == "lastIndexOf")), nil
	case "substring", "subSequence":
		if err := argCount(args, 1, 2); err != nil {
			return nil, err
		}
		u := units(s)
		begin, err := intArg(args, 0)
		if err != nil {
			return nil, err
		}
		end := len(u)
		if len(args) == 2 {
			if end, err = intArg(args, 1); err != nil {
				return nil, err
			}
		}
		if begin < 0 || end > len(u) || begin > end {
			return nil, fmt.Errorf("begin %d, end %d, length %d: out of range", begin, end, len(u))
		}
		return fromUnits(u[begin:end]), nil
	case "charAt":
		if err := argCount(args, 1); err != nil {
			return nil, err
		}
		u := units(s)
		i, err := intArg(args, 0)
		if err != nil {
			return nil, err
		}
		if i < 0 || i >= len(u) {
			return nil, fmt.Errorf("index %d is out of range for length %d", i, len(u))
		}
		return fromUnits(u[i : i+1]), nil
	case "replace":
		if err := argCount(args, 2); err != nil {
			return nil, err
		}
		old, err := strArg(args, 0)
		if err != nil {
			return nil, err
		}
		repl, err := strArg(args, 1)
		if err != nil {
			return nil, err
		}
		if old == "" {
			n := len(units(s)) + 1
			if err := r.checkLen(len(s) + n*len(repl)); err != nil {
				return nil, err
			}
		} else if err := r.checkLen(len(s) + strings.Count(s, old)*(len(repl)-len(old))); err != nil {
			return nil, err
		}
		if old == "" {
			// Java inserts the replacement between every char.
			var b strings.Builder
			b.WriteString(repl)
			for _, c := range s {
				b.WriteRune(c)
				b.WriteString(repl)
			}
			return b.String(), nil
		}
		return strings.ReplaceAll(s, old, repl), nil
	case "replaceAll", "replaceFirst":
		if err := argCount(args, 2); err != nil {
			return nil, err
		}
		pat, err := strArg(args, 0)
		if err != nil {
			return nil, err
		}
		repl, err := strArg(args, 1)
		if err != nil {
			return nil, err
		}
		re, err := javaRegexp(pat)
		if err != nil {
			return nil, err
		}
		expand, err := javaReplacement(repl)
		if err != nil {
			return nil, err
		}
		matches := re.FindAllStringSubmatchIndex(s, -1)
		if name == "replaceFirst" && len(matches) > 1 {
			matches = matches[:1]
		}
		var b strings.Builder
		last := 0
		for _, m := range matches {
			b.WriteString(s[last:m[0]])
			b.Write(re.ExpandString(nil, expand, s, m))
			last = m[1]
			if err := r.checkLen(b.Len()); err != nil {
				return nil, err
			}
		}
		b.WriteString(s[last:])
		if err := r.checkLen(b.Len()); err != nil {
			return nil, err
		}
		return b.String(), nil
	case "split":
		if err := argCount(args, 1, 2); err != nil {
			return nil, err
		}
		pat, err := strArg(args, 0)
		if err != nil {
			return nil, err
		}
		limit := 0
		if len(args) == 2 {
			if limit, err = intArg(args, 1); err != nil {
				return nil, err
			}
		}
		parts, err := javaSplit(s, pat, limit)
		if err != nil {
			return nil, err
		}
		l := &List{Items: make([]any, len(parts))}
		for i, p := range parts {
			l.Items[i] = p
		}
		r.steps += len(parts)
		return l, nil
	case "getBytes":
		l := &List{}
		for _, c := range []byte(s) {
			l.Items = append(l.Items, int64(int8(c)))
		}
		r.steps += len(s)
		return l, nil
	}
	return nil, nil
}

func indexUnits(s, sub []uint16, from int, last bool) int {
	if !last {
		from = max(from, 0)
		for i := from; i+len(sub) <= len(s); i++ {
			if equalUnits(s[i:i+len(sub)], sub) {
				return i
			}
		}
		return -1
	}
	from = min(from, len(s)-len(sub))
	for i := from; i >= 0; i-- {
		if equalUnits(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func equalUnits(a, b []uint16) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// javaRegexp compiles a Java regular expression with Go's RE2, which reads
// the common syntax alike; what RE2 lacks (backreferences, lookaround,
// possessive quantifiers) is an error that says so.
func javaRegexp(pat string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(pat)
	if err != nil {
		return nil, fmt.Errorf("regular expression %q: %v (gatescope runs Go's RE2 syntax, which lacks backreferences and lookaround)", pat, err)
	}
	return re, nil
}

// javaReplacement turns a Java replacement ($1, \$ for a dollar) into Go's
// template syntax (${1}, $$).
func javaReplacement(repl string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch {
		case c == '\\':
			if i+1 >= len(repl) {
				return "", fmt.Errorf("replacement %q ends with a lone backslash", repl)
			}
			i++
			if repl[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(repl[i])
			}
		case c == '$':
			j := i + 1
			for j < len(repl) && repl[j] >= '0' && repl[j] <= '9' {
				j++
			}
			if j == i+1 {
				return "", fmt.Errorf("replacement %q: '$' must be followed by a group number (write \\$ for a dollar)", repl)
			}
			b.WriteString("${" + repl[i+1:j] + "}")
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// javaSplit is Java's String.split: a regexp; a limit of 0 drops trailing
// empty strings; a zero-width match at the start yields no leading "".
func javaSplit(s, pat string, limit int) ([]string, error) {
	var re *regexp.Regexp
	if len(pat) == 1 && !strings.ContainsAny(pat, `.$|()[{^?*+\`) {
		re = regexp.MustCompile(regexp.QuoteMeta(pat))
	} else {
		var err error
		if re, err = javaRegexp(pat); err != nil {
			return nil, err
		}
	}
	if s == "" {
		return []string{""}, nil
	}
	n := -1
	if limit > 0 {
		n = limit
	}
	var parts []string
	last := 0
	for _, m := range re.FindAllStringIndex(s, -1) {
		if n > 0 && len(parts) == n-1 {
			break
		}
		if m[1] == 0 {
			continue // a zero-width match at the start
		}
		if m[0] == m[1] && m[0] >= len(s) {
			break
		}
		parts = append(parts, s[last:m[0]])
		last = m[1]
	}
	parts = append(parts, s[last:])
	if limit == 0 {
		for len(parts) > 1 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		if len(parts) == 1 && parts[0] == "" {
			return []string{}, nil
		}
	}
	return parts, nil
}

func (r *renderer) mapMethod(m *Map, name string, args []any) (any, error) {
	switch name {
	case "get", "containsKey", "remove":
		if err := argCount(args, 1); err != nil {
			return nil, err
		}
		k := scalarText(args[0])
		switch name {
		case "get":
			return m.vals[k], nil
		case "containsKey":
			_, ok := m.vals[k]
			return ok, nil
		case "remove":
			v := m.vals[k]
			m.Delete(k)
			return v, nil
		}
	case "getOrDefault":
		if err := argCount(args, 2); err != nil {
			return nil, err
		}
		if v, ok := m.vals[scalarText(args[0])]; ok {
			return v, nil
		}
		return args[1], nil
	case "put", "putIfAbsent":
		if err := argCount(args, 2); err != nil {
			return nil, err
		}
		k := scalarText(args[0])
		old, had := m.vals[k]
		if name == "put" || !had || old == nil {
			m.Set(k, args[1])
		}
		return old, nil
	case "putAll":
		if err := argCount(args, 1); err != nil {
			return nil, err
		}
		if o, ok := args[0].(*Map); ok {
			for _, k := range append([]string(nil), o.keys...) {
				m.Set(k, o.vals[k])
			}
			r.steps += o.Len()
		}
		return nil, nil
	case "containsValue":
		if err := argCount(args, 1); err != nil {
			return nil, err
		}
		for _, k := range m.keys {
			if equal(m.vals[k], args[0]) {
				return true, nil
			}
		}
		return false, nil
	case "keySet", "values", "entrySet":
		l := &List{Items: make([]any, 0, m.Len())}
		for _, k := range m.keys {
			switch name {
			case "keySet":
				l.Items = append(l.Items, k)
			case "values":
				l.Items = append(l.Items, m.vals[k])
			case "entrySet":
				l.Items = append(l.Items, &entry{k: k, v: m.vals[k]})
			}
		}
		r.steps += m.Len()
		return l, nil
	case "size":
		return int64(m.Len()), nil
	case "isEmpty":
		return m.Len() == 0, nil
	case "clear":
		m.keys, m.vals = nil, map[string]any{}
		return nil, nil
	case "toString":
		return r.text(m), nil
	case "equals":
		if len(args) == 1 {
			return equal(m, args[0]), nil
		}
	}
	return nil, nil
}

// entry is a Map.Entry of entrySet().
type entry struct {
	k string
	v any
}

func (e *entry) Property(name string) (any, bool) {
	switch name {
	case "key":
		return e.k, true
	case "value":
		return e.v, true
	}
	return nil, false
}

func (e *entry) Call(name string, args []any) (any, bool, error) {
	switch name {
	case "getKey":
		return e.k, true, nil
	case "getValue":
		return e.v, true, nil
	case "toString":
		return e.String(), true, nil
	}
	return nil, false, nil
}

func (e *entry) String() string {
	b := &limitedBuilder{max: 1 << 20}
	_ = writeText(b, e.v, 1)
	return e.k + "=" + b.String()
}

func (r *renderer) listMethod(l *List, name string, args []any) (any, error) {
	switch name {
	case "size":
		return int64(len(l.Items)), nil
	case "isEmpty":
		return len(l.Items) == 0, nil
	case "get":
		if err := argCount(args, 1); err != nil {
			return nil, err
		}
		return index(l, args[0])
	case "contains", "indexOf":
		if err := argCount(args, 1); err != nil {
			return nil, err
		}
		r.steps += len(l.Items)
		for i, it := range l.Items {
			if equal(it, args[0]) && (it != nil) == (args[0] != nil) {
				if name == "contains" {
					return true, nil
				}
				return int64(i), nil
			}
		}
		if name == "contains" {
			return false, nil
		}
		return int64(-1), nil
	case "add":
		if err := argCount(args, 1, 2); err != nil {
			return nil, err
		}
		if len(args) == 2 {
			i, err := intArg(args, 0)
			if err != nil {
				return nil, err
			}
			if i < 0 || i > len(l.Items) {
				return nil, fmt.Errorf("index %d is out of range for a list of %d", i, len(l.Items))
			}
			l.Items = append(l.Items[:i], append([]any{args[1]}, l.Items[i:]...)...)
			return nil, nil
		}
		l.Items = append(l.Items, args[0])
		return true, nil
	case "addAll":
		if err := argCount(args, 1); err != nil {
			return nil, err
		}
		if o, ok := args[0].(*List); ok {
			r.steps += len(o.Items)
			if err := r.step(0); err != nil {
				return nil, err
			}
			l.Items = append(l.Items, o.Items...)
		}
		return true, nil
	case "remove":
		if err := argCount(args, 1); err != nil {
			return nil, err
		}
		if i, ok := args[0].(int64); ok {
			if i < 0 || i >= int64(len(l.Items)) {
				return nil, fmt.Errorf("index %d is out of range for a list of %d", i, len(l.Items))
			}
			v := l.Items[i]
			l.Items = append(l.Items[:i:i], l.Items[i+1:]...)
			return v, nil
		}
		for i, it := range l.Items {
			if equal(it, args[0]) {
				l.Items = append(l.Items[:i:i], l.Items[i+1:]...)
				return true, nil
			}
		}
		return false, nil
	case "set":
		if err := argCount(args, 2); err != nil {
			return nil, err
		}
		i, err := intArg(args, 0)
		if err != nil {
			return nil, err
		}
		if i < 0 || i >= len(l.Items) {
			return nil, fmt.Errorf("index %d is out of range for a list of %d", i, len(l.Items))
		}
		old := l.Items[i]
		l.Items[i] = args[1]
		return old, nil
	case "clear":
		l.Items = nil
		return nil, nil
	case "toString":
		return r.text(l), nil
	case "subList":
		if err := argCount(args, 2); err != nil {
			return nil, err
		}
		a, err := intArg(args, 0)
		if err != nil {
			return nil, err
		}
		b, err := intArg(args, 1)
		if err != nil {
			return nil, err
		}
		if a < 0 || b > len(l.Items) || a > b {
			return nil, fmt.Errorf("from %d, to %d, size %d: out of range", a, b, len(l.Items))
		}
		return &List{Items: append([]any(nil), l.Items[a:b]...), JSON: l.JSON}, nil
	}
	return nil, nil
}

func numberMethod(v any, name string, args []any) (any, error) {
	switch name {
	case "toString":
		return scalarText(v), nil
	case "intValue", "longValue", "shortValue", "byteValue":
		n, _ := toInt(truncate(v))
		return n, nil
	case "doubleValue", "floatValue":
		return toFloat(v), nil
	case "equals":
		if len(args) == 1 {
			return isNumber(args[0]) && equal(v, args[0]), nil
		}
	case "compareTo":
		if len(args) == 1 {
			c, ok := compare(v, args[0])
			if !ok {
				return nil, fmt.Errorf("cannot compare %s with %s", describe(v), describe(args[0]))
			}
			return int64(c), nil
		}
	}
	return nil, nil
}

func truncate(v any) any {
	if f, ok := v.(float64); ok {
		if f != f || f > 9.2e18 || f < -9.2e18 {
			return int64(0)
		}
		return int64(f)
	}
	return v
}
