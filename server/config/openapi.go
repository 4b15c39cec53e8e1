package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// defResult is what an OpenAPI definition contributes besides routes.
type defResult struct {
	cors             *Cors
	binaryMediaTypes []string
}

// definition reads an API's DefinitionBody (or the local file named by
// DefinitionUri) and adds its Lambda proxy routes to a. Swagger 2.0 and
// OpenAPI 3 share everything we read: paths and x-amazon-apigateway-* keys.
func (l *loader) definition(s *apiSet, a *API, p props) (defResult, error) {
	key := "DefinitionBody"
	doc := p.get(key)
	if doc == nil && p.raw(key) == nil {
		key = "DefinitionUri"
		uri := p.get(key)
		if uri == nil {
			return defResult{}, nil
		}
		where, ok := scalar(uri)
		if !ok || strings.Contains(where, "://") {
			p.warnf(uri, key, "a definition in S3 cannot be read locally; only event routes are served")
			return defResult{}, nil
		}
		raw, err := l.readDoc(where)
		if err != nil {
			return defResult{}, &Error{File: l.file, Line: uri.Line, Resource: p.res, Property: p.prefix + key, Message: "read definition", Err: err}
		}
		doc, _ = l.resolve(raw, p.at(key))
	}
	if doc == nil {
		return defResult{}, nil // unresolvable, already reported
	}
	if !isMap(doc) {
		return defResult{}, p.errorf(doc, key, "must be an OpenAPI document, got %s", describe(doc))
	}
	at := p.at(key)
	var res defResult
	for _, pp := range pairs(get(doc, "paths")) {
		path := pp.key
		if path == "/$default" || path == "$default" {
			path = "$default" // how HTTP API OpenAPI writes the default route
		}
		for _, op := range pairs(pp.v) {
			method := opMethod(op.key)
			if method == "" {
				continue // parameters, summary, other extensions
			}
			opAt := at.field("paths").field(pp.key).field(op.key)
			r, err := l.operation(a, path, method, op.v, op.k, opAt)
			if err != nil {
				return defResult{}, err
			}
			if r == nil {
				if get(op.v, "x-amazon-apigateway-integration") == nil {
					s.unbound = append(s.unbound, unboundOp{api: a, key: (&Route{Method: method, Path: path}).Key(), n: op.k, at: opAt})
				}
				continue
			}
			l.addRoute(a, r, op.k, opAt)
		}
	}
	if a.Type == HTTPAPI {
		if n := get(doc, "x-amazon-apigateway-cors"); n != nil {
			c, err := corsObject(n)
			if err != nil {
				return defResult{}, p.errorf(n, key+".x-amazon-apigateway-cors", "%v", err)
			}
			res.cors = c
		}
	}
	if a.Type == RESTAPI {
		if n := deref(get(doc, "x-amazon-apigateway-binary-media-types")); isSeq(n) {
			for _, it := range n.Content {
				if t, ok := scalar(it); ok {
					res.binaryMediaTypes = append(res.binaryMediaTypes, t)
				}
			}
		}
	}
	return res, nil
}

// operation turns one OpenAPI operation into a route, or nil (with a
// warning) when it is not a Lambda proxy integration we can serve.
func (l *loader) operation(a *API, path, method string, op, keyNode *yaml.Node, at loc) (*Route, error) {
	integ := get(op, "x-amazon-apigateway-integration")
	if integ == nil {
		return nil, nil
	}
	at = at.field("x-amazon-apigateway-integration")
	typ, _ := scalar(getFold(integ, "type"))
	if !strings.EqualFold(typ, "aws_proxy") {
		l.warnAt(keyNode, at, "integration type %q is not emulated (only aws_proxy); route %s not served", typ, (&Route{Method: method, Path: path}).Key())
		return nil, nil
	}
	uri, _ := scalar(get(integ, "uri"))
	fn := l.functionForURI(uri)
	if fn == "" {
		l.warnAt(nodeOr(get(integ, "uri"), keyNode), at.field("uri"), "uri %q names no function in this template; route %s not served", uri, (&Route{Method: method, Path: path}).Key())
		return nil, nil
	}
	r := &Route{Method: method, Path: path, Function: fn, PayloadVersion: "1.0", Timeout: defaultRESTTimeout}
	if a.Type == HTTPAPI {
		r.PayloadVersion, r.Timeout = "2.0", defaultHTTPTimeout
		if n := get(integ, "payloadFormatVersion"); n != nil {
			s, _ := scalar(n)
			pv, ok := normalizePayload(s)
			if !ok {
				return nil, l.errorf(n, at.res, at.prop+".payloadFormatVersion", "must be 1.0 or 2.0, got %s", describe(n))
			}
			r.PayloadVersion = pv
		}
	}
	if n := get(integ, "timeoutInMillis"); n != nil {
		s, _ := scalar(n)
		ms, err := strconv.Atoi(s)
		if err == nil {
			err = checkRouteTimeout(a.Type, ms)
		}
		if err != nil {
			return nil, l.errorf(n, at.res, at.prop+".timeoutInMillis", "must be a whole number of milliseconds within API Gateway's limits, got %s", describe(n))
		}
		r.Timeout = time.Duration(ms) * time.Millisecond
	}
	return r, nil
}

func nodeOr(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}

func opMethod(key string) string {
	switch k := strings.ToLower(key); k {
	case "get", "put", "post", "delete", "patch", "head", "options":
		return strings.ToUpper(k)
	case "x-amazon-apigateway-any-method":
		return "ANY"
	}
	return ""
}

// functionForURI finds the function an integration uri invokes. After
// resolution the uri holds a function ARN (ours are synthesized from the
// FunctionName) or, from an unprocessed file, a literal ${Func.Arn}.
func (l *loader) functionForURI(uri string) string {
	for _, f := range l.functions {
		if f.ARN != "" && strings.Contains(uri, f.ARN) {
			return f.Name
		}
	}
	if _, after, ok := strings.Cut(uri, ":function:"); ok {
		name := after
		if i := strings.IndexAny(name, ":/"); i >= 0 {
			name = name[:i]
		}
		for _, f := range l.functions {
			if f.FunctionName == name {
				return f.Name
			}
		}
		for _, f := range l.functions {
			if f.Name == name {
				return f.Name
			}
		}
	}
	if _, after, ok := strings.Cut(uri, "${"); ok {
		ref, _, _ := strings.Cut(after, "}")
		res, _, _ := strings.Cut(ref, ".")
		for _, f := range l.functions {
			if f.Name == res {
				return f.Name
			}
		}
	}
	return ""
}

// readDoc parses a YAML or JSON file named relative to the template.
func (l *loader) readDoc(path string) (*yaml.Node, error) {
	data, err := os.ReadFile(l.localPath(path))
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		ln, msg := yamlErrorLine(err)
		return nil, fmt.Errorf("%s:%d: invalid YAML: %s", path, ln, msg)
	}
	root := deref(&doc)
	if root == nil || root.Kind == 0 || root.Kind == yaml.DocumentNode {
		return nil, fmt.Errorf("%s is empty", path)
	}
	l.rewriteTags(root)
	return root, nil
}
