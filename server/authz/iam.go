package authz

import (
	"github.com/gatescope/gatescope/server/access"
	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
)

// iam checks a route with IAM authorization: a SigV4 signature for
// execute-api in the API's region, made with credentials gatescope knows.
func (s *Service) iam(m *apigw.Match, req *apigw.Request) Decision {
	step := &exchange.Authorizer{Name: config.IAMAuthorizerName, Type: string(config.IAMAuthorizer), StartMs: s.offset(req)}
	d := Decision{Step: step}
	start := s.now()
	defer func() { step.DurationMs = ms(s.now().Sub(start)) }()
	region := m.API.Region
	if region == "" {
		region = config.DefaultRegion
	}
	sr := access.SignedRequest{Method: req.Method, RawPath: req.RawPath, RawQuery: req.RawQuery, Host: req.Host,
		Header: req.Header, Body: req.Body, Region: region, Service: "execute-api"}
	cred, e := access.VerifySigV4(sr, func(id string) (access.Credential, bool) {
		c, ok := s.creds[id]
		return c, ok
	}, s.now())
	if e != nil {
		step.Decision = exchange.DecisionDeny
		if e.Missing {
			step.Decision = exchange.DecisionUnauthorized
		}
		d.Refused = apigw.SignatureRejected(m, req, e.Message, e.Type, upperFirst(e.Explanation))
		return d
	}
	step.Decision = exchange.DecisionAllow
	id := &apigw.IAMIdentity{AccessKey: cred.AccessKeyID, AccountID: cred.AccountID, Caller: cred.PrincipalID, User: cred.PrincipalID, UserARN: cred.UserARN}
	d.Auth = &apigw.Auth{Kind: apigw.AuthIAM, IAM: id}
	step.Output = jsonOf(map[string]string{"accessKey": id.AccessKey, "accountId": id.AccountID, "caller": id.Caller, "userArn": id.UserARN})
	return d
}
