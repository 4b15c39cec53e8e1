package config

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// httpCors reads an HttpApi CorsConfiguration: true allows everything, an
// object lists what is allowed.
func (l *loader) httpCors(p props) (*Cors, error) {
	n := p.get("CorsConfiguration")
	if n == nil {
		return nil, nil
	}
	if s, ok := scalar(n); ok {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, p.errorf(n, "CorsConfiguration", "must be true, false or an object, got %q", s)
		}
		if !b {
			return nil, nil
		}
		return &Cors{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}}, nil
	}
	c, err := corsObject(n)
	if err != nil {
		return nil, p.errorf(n, "CorsConfiguration", "%v", err)
	}
	return c, nil
}

// corsObject reads an HTTP API CORS object, either SAM's CorsConfiguration
// (AllowOrigins) or OpenAPI's x-amazon-apigateway-cors (allowOrigins).
func corsObject(n *yaml.Node) (*Cors, error) {
	if !isMap(n) {
		return nil, fmt.Errorf("must be an object, got %s", describe(n))
	}
	c := &Cors{}
	lists := []struct {
		key string
		dst *[]string
	}{
		{"AllowOrigins", &c.AllowOrigins},
		{"AllowMethods", &c.AllowMethods},
		{"AllowHeaders", &c.AllowHeaders},
		{"ExposeHeaders", &c.ExposeHeaders},
	}
	for _, f := range lists {
		v := getFold(n, f.key)
		if v == nil {
			continue
		}
		if s, ok := scalar(v); ok {
			*f.dst = []string{s}
			continue
		}
		if !isSeq(v) {
			return nil, fmt.Errorf("%s must be a list of strings, got %s", f.key, describe(v))
		}
		for _, it := range deref(v).Content {
			s, ok := scalar(it)
			if !ok {
				return nil, fmt.Errorf("%s must be a list of strings, got an item %s", f.key, describe(it))
			}
			*f.dst = append(*f.dst, s)
		}
	}
	if s, ok := scalar(getFold(n, "MaxAge")); ok {
		v, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("MaxAge must be a whole number of seconds, got %q", s)
		}
		c.MaxAge = v
	}
	if s, ok := scalar(getFold(n, "AllowCredentials")); ok {
		v, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("AllowCredentials must be true or false, got %q", s)
		}
		c.AllowCredentials = v
	}
	return c, nil
}

// restCors reads an Api's Cors: an origin string, or an object whose values
// are header values in SAM's quoted style ("'GET,POST'"). Values are sent
// exactly as written ("origin, x-requested-with" keeps its space), as SAM's
// generated OPTIONS method sends them. Without AllowOrigin SAM allows '*';
// without AllowMethods it allows each path's own methods, so AllowMethods
// stays empty and the gateway derives them from the routes.
func restCors(p props) (*Cors, error) {
	n := p.get("Cors")
	if n == nil {
		return nil, nil
	}
	if s, ok := scalar(n); ok {
		return &Cors{AllowOrigins: []string{unquote(s)}}, nil
	}
	if !isMap(n) {
		return nil, p.errorf(n, "Cors", "must be an origin string or an object, got %s", describe(n))
	}
	c := &Cors{AllowOrigins: []string{"*"}}
	for _, kv := range pairs(n) {
		s, ok := scalar(kv.v)
		if !ok {
			return nil, p.errorf(kv.v, "Cors."+kv.key, "must be a string, got %s", describe(kv.v))
		}
		s = unquote(s)
		switch kv.key {
		case "AllowOrigin":
			c.AllowOrigins = []string{s}
		case "AllowMethods":
			c.AllowMethods = []string{s}
		case "AllowHeaders":
			c.AllowHeaders = []string{s}
		case "MaxAge":
			v, err := strconv.Atoi(s)
			if err != nil {
				return nil, p.errorf(kv.v, "Cors.MaxAge", "must be a whole number of seconds, got %q", s)
			}
			c.MaxAge = v
		case "AllowCredentials":
			v, err := strconv.ParseBool(s)
			if err != nil {
				return nil, p.errorf(kv.v, "Cors.AllowCredentials", "must be true or false, got %q", s)
			}
			c.AllowCredentials = v
		default:
			p.notEmulated(kv.k, "Cors."+kv.key, "Cors property %s is not emulated: gatescope ignores it", kv.key)
		}
	}
	return c, nil
}

// unquote strips SAM's single quotes: REST API CORS values are header
// values written as string literals ("'*'").
func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return s[1 : len(s)-1]
	}
	return s
}
