package vtl

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

type renderer struct {
	src   string
	vars  map[string]any
	lim   Limits
	steps int
	depth int
	out   limitedBuilder
}

// errBreak and errStop unwind #break and #stop.
var (
	errBreak = errors.New("#break")
	errStop  = errors.New("#stop")
)

// define is a #define block: rendered where it is referenced, with the
// variables as they are then.
type define struct{ body []node }

func (r *renderer) errAt(off int, format string, args ...any) *Error {
	line, col := position(r.src, off)
	return &Error{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// wrap gives an error without a place the place off.
func (r *renderer) wrap(off int, err error) error {
	var e *Error
	if err == nil || err == errBreak || err == errStop || errors.As(err, &e) {
		return err
	}
	return r.errAt(off, "%v", err)
}

func (r *renderer) step(off int) error {
	r.steps++
	if r.steps > r.lim.MaxSteps {
		return r.errAt(off, "the template ran more than %d steps; a loop that never ends?", r.lim.MaxSteps)
	}
	return nil
}

func (r *renderer) nodes(ns []node, out *limitedBuilder) error {
	for _, n := range ns {
		if err := r.step(n.at()); err != nil {
			return err
		}
		if err := r.wrap(n.at(), r.node(n, out)); err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) node(n node, out *limitedBuilder) error {
	switch n := n.(type) {
	case *textNode:
		return out.add(n.text)
	case *refNode:
		v, err := r.ref(n.ref)
		if err != nil {
			return err
		}
		if n.escaped {
			if v == nil {
				return out.add(`\` + n.raw)
			}
			return out.add(n.raw)
		}
		return r.write(out, v, n.ref.off)
	case *setNode:
		v, err := r.eval(n.value)
		if err != nil {
			return err
		}
		if v == nil {
			return nil // Velocity 1.7 leaves the target as it was
		}
		return r.assign(n.target, v)
	case *ifNode:
		for i, c := range n.conds {
			v, err := r.eval(c)
			if err != nil {
				return err
			}
			if truthy(v) {
				return r.nodes(n.thens[i], out)
			}
		}
		if n.els != nil {
			return r.nodes(n.els, out)
		}
		return nil
	case *foreachNode:
		return r.foreach(n, out)
	case *breakNode:
		return errBreak
	case *stopNode:
		return errStop
	case *defineNode:
		r.vars[n.name] = &define{body: n.body}
		return nil
	}
	return fmt.Errorf("unknown node %T", n)
}

// write renders a value: a #define block is rendered in place.
func (r *renderer) write(out *limitedBuilder, v any, off int) error {
	if d, ok := v.(*define); ok {
		s, err := r.renderDefine(d, off)
		if err != nil {
			return err
		}
		return out.add(s)
	}
	return writeText(out, v, 0)
}

func (r *renderer) renderDefine(d *define, off int) (string, error) {
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > r.lim.MaxDepth {
		return "", r.errAt(off, "#define blocks render each other more than %d deep", r.lim.MaxDepth)
	}
	b := &limitedBuilder{max: r.lim.MaxOutput}
	if err := r.nodes(d.body, b); err != nil {
		if err == errBreak {
			return b.String(), nil
		}
		return "", err
	}
	return b.String(), nil
}

// foreachInfo is $foreach inside a loop.
type foreachInfo struct {
	index, count int
	hasNext      bool
	parent       any
}

func (f *foreachInfo) Property(name string) (any, bool) {
	switch name {
	case "index":
		return int64(f.index), true
	case "count":
		return int64(f.count), true
	case "hasNext":
		return f.hasNext, true
	case "first":
		return f.index == 0, true
	case "last":
		return !f.hasNext, true
	case "parent":
		return f.parent, true
	}
	return nil, false
}

func (f *foreachInfo) Call(name string, args []any) (any, bool, error) {
	switch name {
	case "hasNext", "getIndex", "getCount", "isFirst", "isLast", "getHasNext", "isHasNext":
		prop := map[string]string{"hasNext": "hasNext", "getIndex": "index", "getCount": "count",
			"isFirst": "first", "isLast": "last", "getHasNext": "hasNext", "isHasNext": "hasNext"}[name]
		v, _ := f.Property(prop)
		return v, true, nil
	}
	return nil, false, nil
}

func (f *foreachInfo) String() string { return "" }

func (r *renderer) foreach(n *foreachNode, out *limitedBuilder) error {
	list, err := r.eval(n.list)
	if err != nil {
		return err
	}
	var items []any
	switch x := list.(type) {
	case *List:
		items = x.Items
	case *Map:
		items = make([]any, 0, x.Len())
		for _, k := range x.keys {
			items = append(items, x.vals[k])
		}
	case Object:
		if l, ok, err := x.Call("iterator", nil); err == nil && ok {
			if ll, ok := l.(*List); ok {
				items = ll.Items
			}
		}
	default:
		return nil // Velocity iterates nothing that is not a collection
	}
	// Iterate a snapshot: a template that adds to the list it walks
	// must not loop for ever.
	items = append([]any(nil), items...)
	oldVar, hadVar := r.vars[n.name]
	oldInfo, hadInfo := r.vars["foreach"]
	oldCount, hadCount := r.vars["velocityCount"]
	oldNext, hadNext := r.vars["velocityHasNext"]
	defer func() {
		restore(r.vars, n.name, oldVar, hadVar)
		restore(r.vars, "foreach", oldInfo, hadInfo)
		restore(r.vars, "velocityCount", oldCount, hadCount)
		restore(r.vars, "velocityHasNext", oldNext, hadNext)
	}()
	info := &foreachInfo{parent: oldInfo}
	for i, it := range items {
		if i >= r.lim.MaxLoop {
			break
		}
		if err := r.step(n.off); err != nil {
			return err
		}
		info.index, info.count = i, i+1
		info.hasNext = i+1 < len(items) && i+1 < r.lim.MaxLoop
		r.vars["foreach"] = info
		r.vars["velocityCount"] = int64(i + 1)
		r.vars["velocityHasNext"] = info.hasNext
		if it == nil {
			delete(r.vars, n.name)
		} else {
			r.vars[n.name] = it
		}
		if err := r.nodes(n.body, out); err != nil {
			if err == errBreak {
				return nil
			}
			return err
		}
	}
	return nil
}

func restore(vars map[string]any, k string, v any, had bool) {
	if had {
		vars[k] = v
	} else {
		delete(vars, k)
	}
}

// ref evaluates a reference; nil when any part of it is null or missing.
func (r *renderer) ref(ref *reference) (any, error) {
	if err := r.step(ref.off); err != nil {
		return nil, err
	}
	v, ok := r.vars[ref.name]
	if !ok {
		return nil, nil
	}
	for _, a := range ref.parts {
		if v == nil {
			return nil, nil
		}
		if d, ok := v.(*define); ok {
			s, err := r.renderDefine(d, a.off)
			if err != nil {
				return nil, err
			}
			v = s
		}
		var err error
		switch a.kind {
		case accProp:
			v = property(v, a.name)
		case accIndex:
			idx, err := r.eval(a.index)
			if err != nil {
				return nil, err
			}
			v, err = index(v, idx)
			if err != nil {
				return nil, r.errAt(a.off, "%v", err)
			}
		case accMethod:
			args := make([]any, len(a.args))
			for i, e := range a.args {
				if args[i], err = r.eval(e); err != nil {
					return nil, err
				}
				if d, ok := args[i].(*define); ok {
					if args[i], err = r.renderDefine(d, e.at()); err != nil {
						return nil, err
					}
				}
			}
			v, err = r.call(v, a.name, args)
			if err != nil {
				return nil, r.errAt(a.off+1, "%s(): %v", a.name, err)
			}
		}
	}
	if s, ok := v.(string); ok && len(s) > r.lim.MaxOutput {
		return nil, r.errAt(ref.off, "a string over %d bytes", r.lim.MaxOutput)
	}
	return v, nil
}

// property is $v.name: a map's entry, an object's property, or a Java
// getter Velocity would find (getName, isName).
func property(v any, name string) any {
	switch x := v.(type) {
	case *Map:
		if val, ok := x.vals[name]; ok {
			return val
		}
		return nil
	case Object:
		if val, ok := x.Property(name); ok {
			return val
		}
		if val, ok, err := x.Call("get"+upperFirst(name), nil); ok && err == nil {
			return val
		}
		return nil
	}
	// Java getters on strings, lists and numbers.
	switch name {
	case "empty":
		return isEmpty(v)
	case "class":
		return nil
	}
	return nil
}

func isEmpty(v any) any {
	switch x := v.(type) {
	case string:
		return x == ""
	case *List:
		return len(x.Items) == 0
	case *Map:
		return x.Len() == 0
	}
	return nil
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	return string(b)
}

// index is $v[i]: a list's item or a map's entry.
func index(v, idx any) (any, error) {
	switch x := v.(type) {
	case *List:
		n, ok := toInt(idx)
		if !ok {
			return nil, fmt.Errorf("a list index must be a number, got %s", describe(idx))
		}
		if n < 0 {
			n += int64(len(x.Items))
		}
		if n < 0 || n >= int64(len(x.Items)) {
			return nil, fmt.Errorf("index %d is out of range for a list of %d", n, len(x.Items))
		}
		return x.Items[n], nil
	case *Map:
		return x.vals[scalarText(idx)], nil
	case Object:
		val, ok, err := x.Call("get", []any{idx})
		if !ok {
			return nil, nil
		}
		return val, err
	}
	return nil, nil
}

// assign is #set($target = v).
func (r *renderer) assign(t *reference, v any) error {
	if len(t.parts) == 0 {
		r.vars[t.name] = v
		return nil
	}
	head := &reference{off: t.off, name: t.name, parts: t.parts[:len(t.parts)-1]}
	obj, err := r.ref(head)
	if err != nil {
		return err
	}
	last := t.parts[len(t.parts)-1]
	switch last.kind {
	case accProp:
		switch x := obj.(type) {
		case *Map:
			x.Set(last.name, v)
			return nil
		case Object:
			if _, ok, err := x.Call("set"+upperFirst(last.name), []any{v}); ok {
				return err
			}
			if _, ok, err := x.Call("put", []any{last.name, v}); ok {
				return err
			}
		}
		return nil // Velocity ignores a #set it cannot do (it only logs it)
	case accIndex:
		idx, err := r.eval(last.index)
		if err != nil {
			return err
		}
		switch x := obj.(type) {
		case *Map:
			x.Set(scalarText(idx), v)
		case *List:
			n, ok := toInt(idx)
			if !ok || n < 0 || n >= int64(len(x.Items)) {
				return r.errAt(last.off, "cannot set index %s of a list of %d", scalarText(idx), len(x.Items))
			}
			x.Items[n] = v
		}
		return nil
	}
	return r.errAt(last.off, "#set cannot assign to a method call")
}

func (r *renderer) eval(e expr) (any, error) {
	if err := r.step(e.at()); err != nil {
		return nil, err
	}
	switch e := e.(type) {
	case *litExpr:
		return e.v, nil
	case *refExpr:
		return r.ref(e.ref)
	case *interpExpr:
		r.depth++
		defer func() { r.depth-- }()
		if r.depth > r.lim.MaxDepth {
			return nil, r.errAt(e.off, "strings nested more than %d deep", r.lim.MaxDepth)
		}
		b := &limitedBuilder{max: r.lim.MaxOutput}
		if e.src != "" {
			// Errors inside point at the string.
			sub := &renderer{src: e.src, vars: r.vars, lim: r.lim, steps: r.steps, depth: r.depth}
			err := sub.nodes(e.nodes, b)
			r.steps = sub.steps
			if err != nil && err != errBreak {
				if _, ok := err.(*Error); ok {
					return nil, r.errAt(e.off, "in the string: %v", err)
				}
				return nil, err
			}
			return b.String(), nil
		}
		if err := r.nodes(e.nodes, b); err != nil {
			if errors.Is(err, errLimit) {
				return nil, r.errAt(e.off, "%v", err)
			}
			return nil, err
		}
		return b.String(), nil
	case *listExpr:
		l := &List{Items: make([]any, 0, len(e.items))}
		for _, it := range e.items {
			v, err := r.eval(it)
			if err != nil {
				return nil, err
			}
			l.Items = append(l.Items, v)
		}
		return l, nil
	case *rangeExpr:
		fv, err := r.eval(e.from)
		if err != nil {
			return nil, err
		}
		tv, err := r.eval(e.to)
		if err != nil {
			return nil, err
		}
		from, ok1 := toInt(fv)
		to, ok2 := toInt(tv)
		if !ok1 || !ok2 {
			return nil, r.errAt(e.off, "a range [a..b] needs whole numbers, got %s and %s", describe(fv), describe(tv))
		}
		n := to - from
		if n < 0 {
			n = -n
		}
		if n >= int64(r.lim.MaxSteps) {
			return nil, r.errAt(e.off, "the range [%d..%d] has more than %d items", from, to, r.lim.MaxSteps)
		}
		r.steps += int(n)
		if err := r.step(e.off); err != nil {
			return nil, err
		}
		l := &List{Items: make([]any, 0, n+1)}
		for i := int64(0); i <= n; i++ {
			if from <= to {
				l.Items = append(l.Items, from+i)
			} else {
				l.Items = append(l.Items, from-i)
			}
		}
		return l, nil
	case *mapExpr:
		m := NewMap()
		for i := range e.keys {
			k, err := r.eval(e.keys[i])
			if err != nil {
				return nil, err
			}
			v, err := r.eval(e.vals[i])
			if err != nil {
				return nil, err
			}
			m.Set(scalarText(k), v)
		}
		return m, nil
	case *unaryExpr:
		x, err := r.eval(e.x)
		if err != nil {
			return nil, err
		}
		if e.op == "!" {
			return !truthy(x), nil
		}
		switch n := x.(type) {
		case int64:
			return -n, nil
		case float64:
			return -n, nil
		}
		return nil, r.errAt(e.off, "cannot negate %s", describe(x))
	case *binaryExpr:
		return r.binary(e)
	}
	return nil, fmt.Errorf("unknown expression %T", e)
}

func (r *renderer) binary(e *binaryExpr) (any, error) {
	l, err := r.eval(e.l)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "&&":
		if !truthy(l) {
			return false, nil
		}
		rv, err := r.eval(e.r)
		return truthy(rv), err
	case "||":
		if truthy(l) {
			return true, nil
		}
		rv, err := r.eval(e.r)
		return truthy(rv), err
	}
	rv, err := r.eval(e.r)
	if err != nil {
		return nil, err
	}
	if d, ok := l.(*define); ok {
		if l, err = r.renderDefine(d, e.off); err != nil {
			return nil, err
		}
	}
	if d, ok := rv.(*define); ok {
		if rv, err = r.renderDefine(d, e.off); err != nil {
			return nil, err
		}
	}
	switch e.op {
	case "==":
		return equal(l, rv), nil
	case "!=":
		return !equal(l, rv), nil
	case "<", "<=", ">", ">=":
		c, ok := compare(l, rv)
		if !ok {
			return nil, r.errAt(e.off, "cannot compare %s with %s", describe(l), describe(rv))
		}
		switch e.op {
		case "<":
			return c < 0, nil
		case "<=":
			return c <= 0, nil
		case ">":
			return c > 0, nil
		}
		return c >= 0, nil
	case "+":
		_, ln := l.(string)
		_, rn := rv.(string)
		if ln || rn || !isNumber(l) || !isNumber(rv) {
			if l == nil || rv == nil {
				return nil, nil
			}
			a, b := r.text(l), r.text(rv)
			if len(a)+len(b) > r.lim.MaxOutput {
				return nil, r.errAt(e.off, "a string over %d bytes", r.lim.MaxOutput)
			}
			return a + b, nil
		}
	}
	return arith(e.op, l, rv), nil
}

// text is the string form of v for concatenation; "" when it cannot be
// rendered within the limits.
func (r *renderer) text(v any) string {
	b := &limitedBuilder{max: r.lim.MaxOutput}
	_ = writeText(b, v, 0)
	return b.String()
}

func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<62 {
			return int64(n), true
		}
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}

func toFloat(v any) float64 {
	switch n := v.(type) {
	case int64:
		return float64(n)
	case float64:
		return n
	}
	return 0
}

// arith is Velocity's + - * / %: whole numbers stay whole (division
// truncates); a division by zero is null.
func arith(op string, l, r any) any {
	li, lInt := l.(int64)
	ri, rInt := r.(int64)
	if !isNumber(l) || !isNumber(r) {
		return nil
	}
	if lInt && rInt {
		switch op {
		case "+":
			return li + ri
		case "-":
			return li - ri
		case "*":
			return li * ri
		case "/":
			if ri == 0 {
				return nil
			}
			if li == math.MinInt64 && ri == -1 {
				return li
			}
			return li / ri
		case "%":
			if ri == 0 {
				return nil
			}
			if ri == -1 {
				return int64(0)
			}
			return li % ri
		}
		return nil
	}
	a, b := toFloat(l), toFloat(r)
	switch op {
	case "+":
		return a + b
	case "-":
		return a - b
	case "*":
		return a * b
	case "/":
		if b == 0 {
			return nil
		}
		return a / b
	case "%":
		if b == 0 {
			return nil
		}
		return math.Mod(a, b)
	}
	return nil
}

// equal is Velocity's ==, with API Gateway's quirk that null equals "".
// Numbers compare by value; values of different kinds by their text.
func equal(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil || a == "" || b == ""
	}
	if isNumber(a) && isNumber(b) {
		return toFloat(a) == toFloat(b)
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return x == y
		}
	case bool:
		if y, ok := b.(bool); ok {
			return x == y
		}
	case *Map, *List:
		if a == b {
			return true
		}
	}
	return scalarOrText(a) == scalarOrText(b)
}

func scalarOrText(v any) string {
	b := &limitedBuilder{max: 1 << 20}
	_ = writeText(b, v, 0)
	return b.String()
}

func compare(a, b any) (int, bool) {
	if isNumber(a) && isNumber(b) {
		x, y := toFloat(a), toFloat(b)
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	}
	x, ok1 := a.(string)
	y, ok2 := b.(string)
	if ok1 && ok2 {
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// describe names a value's kind for errors.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return strconv.Quote(x)
	case bool, int64, float64:
		return scalarText(x)
	case *Map:
		return "a map"
	case *List:
		return "a list"
	case *define:
		return "a #define block"
	}
	return fmt.Sprintf("%T", v)
}
