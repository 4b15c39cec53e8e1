package config

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// Raw CloudFormation authorizers (AWS::ApiGateway::Authorizer,
// AWS::ApiGatewayV2::Authorizer) and the authorization of REST Methods and
// HTTP API Routes, which name them by Ref (their logical id).

// authorizer reads an AWS::ApiGateway::Authorizer or
// AWS::ApiGatewayV2::Authorizer into its API's authorizers, named by its
// logical id.

// msgWebSocketAuthorizer lists an authorizer of a WebSocket API.
const msgWebSocketAuthorizer = "authorizers of WebSocket APIs are not emulated yet: $connect would not be authorized"

func (rc *rawChildren) authorizer(r *resource) error {
	l := rc.l
	p := l.props(r)
	v2 := r.typ == "AWS::ApiGatewayV2::Authorizer"
	idKey, want, typeKey := "RestApiId", RESTAPI, "Type"
	if v2 {
		idKey, want, typeKey = "ApiId", HTTPAPI, "AuthorizerType"
	}
	a, ok, err := rc.apiOf(p, idKey, want)
	if err != nil || !ok {
		r.handled = true
		return err
	}
	if a.Type == WSAPI {
		// Listed on its own, so that serving WebSocket APIs later cannot
		// leave their $connect unauthorized without a word.
		r.handled = true
		l.notEmulatedAt(&yaml.Node{Line: r.line}, loc{res: r.name}, msgWebSocketAuthorizer)
		return nil
	}
	az := &Authorizer{Name: r.name, Line: r.line}
	typ, tn, err := p.str(typeKey)
	if err != nil {
		return err
	}
	p.raw("Name")
	p.raw("AuthType")
	switch strings.ToUpper(typ) {
	case "TOKEN":
		az.Type = TokenAuthorizer
	case "REQUEST":
		az.Type = RequestAuthorizer
	case "COGNITO_USER_POOLS":
		az.Type = CognitoAuthorizer
	case "JWT":
		az.Type = JWTAuthorizer
	}
	if az.Type == "" || (v2 && (az.Type == TokenAuthorizer || az.Type == CognitoAuthorizer)) || (!v2 && az.Type == JWTAuthorizer) {
		kinds := "TOKEN, REQUEST or COGNITO_USER_POOLS"
		if v2 {
			kinds = "REQUEST or JWT"
		}
		return p.errorf(nodeOr(tn, p.raw(typeKey)), typeKey, "must be %s, got %q", kinds, typ)
	}
	if a.Type == RESTAPI {
		az.TTL = defaultRESTAuthorizerTTL
	}
	if ttl := p.get("AuthorizerResultTtlInSeconds"); ttl != nil {
		if az.TTL, err = l.ttl(ttl, p.at("AuthorizerResultTtlInSeconds")); err != nil {
			return err
		}
	}
	credKey := "AuthorizerCredentials"
	if v2 {
		credKey = "AuthorizerCredentialsArn"
	}
	if az.InvokeRole, _, err = p.str(credKey); err != nil {
		return err
	}
	if az.Lambda() {
		uri, un, err := p.str("AuthorizerUri")
		if err != nil {
			return err
		}
		az.FunctionARN = uri
		if az.Function = l.functionForURI(uri); az.Function == "" {
			p.warnf(un, "AuthorizerUri", "the authorizer's function is not in this template: its routes answer as when API Gateway cannot invoke it")
		}
	}
	var srcs []string
	if v2 {
		if srcs, err = p.stringList("IdentitySource"); err != nil {
			return err
		}
		if az.Type == RequestAuthorizer {
			v, vn, err := p.str("AuthorizerPayloadFormatVersion")
			if err != nil {
				return err
			}
			pv, ok := normalizePayload(v)
			if !ok {
				return p.errorf(nodeOr(vn, p.raw("AuthorizerPayloadFormatVersion")), "AuthorizerPayloadFormatVersion", "is required for a REQUEST authorizer and must be 1.0 or 2.0, got %q", v)
			}
			az.PayloadVersion = pv
			az.SimpleResponses = truthy(p.get("EnableSimpleResponses"))
		} else {
			jc := p.get("JwtConfiguration")
			az.Issuer, _ = scalar(getFold(jc, "Issuer"))
			if az.Audiences, err = l.stringsOf(getFold(jc, "Audience"), p.at("JwtConfiguration.Audience")); err != nil {
				return err
			}
			if az.Issuer == "" {
				return p.errorf(nodeOr(jc, p.raw("JwtConfiguration")), "JwtConfiguration", "a JWT authorizer needs an Issuer")
			}
		}
		p.raw("IdentityValidationExpression") // WebSocket APIs only
	} else {
		src, _, err := p.str("IdentitySource")
		if err != nil {
			return err
		}
		if src != "" {
			srcs = []string{src}
		}
		if az.ValidationExpression, _, err = p.str("IdentityValidationExpression"); err != nil {
			return err
		}
		if az.Type == CognitoAuthorizer {
			if az.UserPoolARNs, err = p.stringList("ProviderARNs"); err != nil {
				return err
			}
		}
		if len(srcs) == 0 && az.Type != RequestAuthorizer {
			return p.errorf(p.raw("IdentitySource"), "IdentitySource", "a %s authorizer needs an IdentitySource (method.request.header.NAME)", az.Type)
		}
	}
	if err := l.identity(az, srcs, &yaml.Node{Line: r.line}, loc{res: r.name, prop: "IdentitySource"}); err != nil {
		return err
	}
	return l.addAuthorizer(a, az, &yaml.Node{Line: r.line}, loc{res: r.name})
}

// methodAuth reads a REST Method's or HTTP API Route's authorization into
// rt: AWS_IAM, the Authorizer its AuthorizerId names (checked once every
// authorizer is read, see checkRouteAuthorizers), and its scopes.
func (rc *rawChildren) methodAuth(rt *Route, p props) error {
	typ, n, err := p.str("AuthorizationType")
	if err != nil {
		return err
	}
	id, idn, err := p.str("AuthorizerId")
	if err != nil {
		return err
	}
	if rt.Scopes, err = p.stringList("AuthorizationScopes"); err != nil {
		return err
	}
	switch strings.ToUpper(typ) {
	case "", "NONE":
		return nil
	case "AWS_IAM":
		rt.Authorizer = IAMAuthorizerName
		return nil
	case "CUSTOM", "COGNITO_USER_POOLS", "JWT":
	default:
		return p.errorf(n, "AuthorizationType", "must be NONE, AWS_IAM, CUSTOM, COGNITO_USER_POOLS or JWT, got %q", typ)
	}
	if idn == nil {
		return p.errorf(nodeOr(n, p.raw("AuthorizerId")), "AuthorizerId", "AuthorizationType %s needs an AuthorizerId it can resolve", typ)
	}
	rt.Authorizer = id
	return nil
}
