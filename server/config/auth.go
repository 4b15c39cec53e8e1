package config

import (
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Authorizers, API keys and resource policies are not emulated yet (they
// have an issue of their own). Until they are, every one is listed where it
// is declared, and each route still names its authorizer, so `gatescope
// check` shows which routes would be protected in AWS and are open here.

const (
	msgAuthorizer = "authorizers are not emulated yet: requests reach the integration without authorization"
	msgIAMAuth    = "IAM authorization (AWS_IAM) is not emulated yet: requests are served without a signature check"
)

// iamAuthorizer is the authorizer name routes with IAM authorization carry.
const iamAuthorizer = "AWS_IAM"

// apiAuth reads the Auth of an AWS::Serverless::Api or HttpApi, lists what
// it declares, and returns the default authorizer's name ("" for none).
func (l *loader) apiAuth(p props, typ APIType) string {
	n := p.get("Auth")
	if n == nil {
		return ""
	}
	at := p.at("Auth")
	var def string
	for _, kv := range pairs(n) {
		kat := at.field(kv.key)
		switch kv.key {
		case "Authorizers":
			for _, az := range pairs(kv.v) {
				l.notEmulatedAt(az.k, kat.field(az.key), msgAuthorizer)
			}
		case "DefaultAuthorizer":
			def, _ = scalar(kv.v)
			if def == iamAuthorizer {
				l.notEmulatedAt(kv.k, kat, msgIAMAuth)
			}
		case "EnableIamAuthorizer":
			if truthy(kv.v) {
				l.notEmulatedAt(kv.k, kat, msgIAMAuth)
			}
		case "ApiKeyRequired", "UsagePlan":
			if kv.key == "UsagePlan" || truthy(kv.v) {
				l.notEmulatedAt(kv.k, kat, msgAPIKeys)
			}
		case "ResourcePolicy":
			l.notEmulatedAt(kv.k, kat, msgResPolicy)
		case "InvokeRole", "AddDefaultAuthorizerToCorsPreflight", "AddApiKeyRequiredToCorsPreflight":
			// Only meaningful with an authorizer, which is listed.
		default:
			l.notEmulatedAt(kv.k, kat, "Auth property %s is not emulated: gatescope ignores it", kv.key)
		}
	}
	if def == "NONE" {
		def = ""
	}
	return def
}

// eventAuth reads an Api or HttpApi event's Auth and returns the route's
// authorizer: the event's own, else its API's default.
func (l *loader) eventAuth(p props, def string) string {
	n := p.get("Auth")
	name := def
	at := p.at("Auth")
	for _, kv := range pairs(n) {
		kat := at.field(kv.key)
		switch kv.key {
		case "Authorizer":
			if s, ok := scalar(kv.v); ok {
				name = s
				if s == iamAuthorizer {
					l.notEmulatedAt(kv.k, kat, msgIAMAuth)
				}
			}
		case "ApiKeyRequired":
			if truthy(kv.v) {
				l.notEmulatedAt(kv.k, kat, msgAPIKeys)
			}
		case "ResourcePolicy":
			l.notEmulatedAt(kv.k, kat, msgResPolicy)
		case "AuthorizationScopes", "InvokeRole", "OverrideApiAuth":
			// Only meaningful with an authorizer, which is listed.
		default:
			l.notEmulatedAt(kv.k, kat, "Auth property %s is not emulated: gatescope ignores it", kv.key)
		}
	}
	if name == "NONE" {
		name = ""
	}
	return name
}

// settings reads a throttling/caching/logging settings property (REST
// MethodSettings, HTTP API DefaultRouteSettings and RouteSettings, a
// stage's settings): logging and metrics have nothing to emulate; anything
// else (throttling, caching) is listed.
func (l *loader) settings(p props, key string) {
	n := p.get(key)
	if n == nil {
		return
	}
	var entries []*yaml.Node
	switch {
	case isSeq(n):
		entries = deref(n).Content
	case key == "RouteSettings":
		for _, kv := range pairs(n) { // route key → settings
			entries = append(entries, kv.v)
		}
	default:
		entries = []*yaml.Node{n}
	}
	for _, e := range entries {
		for _, kv := range pairs(e) {
			switch kv.key {
			case "ResourcePath", "HttpMethod", "LoggingLevel", "MetricsEnabled", "DataTraceEnabled", "DetailedMetricsEnabled":
				continue
			}
			p.notEmulated(kv.k, key, msgThrottle)
			return
		}
	}
}

// truthy reads a YAML boolean as CloudFormation does (true, "true").
func truthy(n *yaml.Node) bool {
	s, ok := scalar(n)
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(s)
	return err == nil && b
}
