package config

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// What Ref and Fn::GetAtt yield for resources that are not functions. API
// Gateway resources are named by their logical ids, which is how gatescope
// wires them together (a Route's Target names its Integration, a Method its
// Resource). Resources gatescope does not create get stand-ins as SAM CLI
// gives them: a Ref is the logical id, an Arn a well-formed ARN of the
// right service built from it. Each stand-in is noted, so that a value a
// function sees (an environment variable) is warned about with what it is.

// refOf is what Ref name yields for a resource that is not a function.
func (l *loader) refOf(r *resource) string {
	switch r.typ {
	case "AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage":
		if s, ok := scalar(l.quiet(get(r.props, "StageName"), r.name)); ok {
			return s // CloudFormation's Ref of a stage is its name
		}
		return r.name
	case "AWS::Lambda::Alias":
		if fn, ok := scalar(l.quiet(get(r.props, "FunctionName"), r.name)); ok {
			name, _ := scalar(l.quiet(get(r.props, "Name"), r.name))
			return l.lambdaARN(fn) + ":" + name
		}
	case "AWS::Lambda::Version":
		if fn, ok := scalar(l.quiet(get(r.props, "FunctionName"), r.name)); ok {
			return l.lambdaARN(fn) + ":1"
		}
	}
	if !l.emulatedType(r.typ) {
		l.noteStandIn(fmt.Sprintf("Ref %s stands for its logical id, as in SAM CLI (%s is an %s, which gatescope does not create)", r.name, r.name, r.typ))
	}
	if r.typ == "AWS::Serverless::LayerVersion" || r.typ == "AWS::Lambda::LayerVersion" {
		return fmt.Sprintf("arn:%s:lambda:%s:%s:layer:%s:1", l.partition(), l.opts.Region, l.opts.AccountID, r.name)
	}
	return r.name
}

// getAttOf is what Fn::GetAtt yields for a resource that is not a function.
func (l *loader) getAttOf(r *resource, attr string) (string, error) {
	id := r.name
	switch {
	case attr == "RootResourceId" && (r.typ == "AWS::ApiGateway::RestApi" || r.typ == "AWS::Serverless::Api"):
		return rootResource(id), nil
	case attr == "ApiId" && (r.typ == "AWS::ApiGatewayV2::Api" || r.typ == "AWS::Serverless::HttpApi"):
		return id, nil
	case attr == "Arn" && (r.typ == "AWS::Lambda::Alias" || r.typ == "AWS::Lambda::Version"):
		return l.refOf(r), nil
	case attr == "Stage" && (r.typ == "AWS::Serverless::Api" || r.typ == "AWS::Serverless::HttpApi"):
		return l.samStage(r), nil // ${Api.Stage}: SAM's generated stage, by name
	}
	var v string
	switch attr {
	case "Arn", "StreamArn", "TopicArn", "QueueArn", "StateMachineArn", "LoadBalancerArn", "DomainNameArn":
		v = l.arnOf(r)
		if attr == "StreamArn" {
			v += "/stream/1970-01-01T00:00:00.000"
		}
	case "Name", "QueueName", "TopicName", "StateMachineName", "TableName", "BucketName", "UserPoolId", "ApiId", "Id":
		v = id
	case "QueueUrl":
		v = fmt.Sprintf("https://sqs.%s.%s/%s/%s", l.opts.Region, l.urlSuffix(), l.opts.AccountID, id)
	case "DomainName", "RegionalDomainName":
		if r.typ == "AWS::S3::Bucket" {
			v = strings.ToLower(id) + ".s3." + l.urlSuffix()
		}
	case "ApiEndpoint":
		v = fmt.Sprintf("https://%s.execute-api.%s.%s", strings.ToLower(id), l.opts.Region, l.urlSuffix())
	}
	if v == "" {
		return "", fmt.Errorf("Fn::GetAtt %s.%s: cannot be resolved locally (an %s)", id, attr, r.typ)
	}
	if !l.emulatedType(r.typ) {
		l.noteStandIn(fmt.Sprintf("Fn::GetAtt %s.%s stands for %q (%s is an %s, which gatescope does not create)", id, attr, v, id, r.typ))
	}
	return v, nil
}

// arnOf is a well-formed ARN of r's service, named by its logical id.
func (l *loader) arnOf(r *resource) string {
	p, reg, acct, n := l.partition(), l.opts.Region, l.opts.AccountID, r.name
	switch r.typ {
	case "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "AWS::Serverless::SimpleTable":
		return fmt.Sprintf("arn:%s:dynamodb:%s:%s:table/%s", p, reg, acct, n)
	case "AWS::SQS::Queue":
		return fmt.Sprintf("arn:%s:sqs:%s:%s:%s", p, reg, acct, n)
	case "AWS::SNS::Topic":
		return fmt.Sprintf("arn:%s:sns:%s:%s:%s", p, reg, acct, n)
	case "AWS::S3::Bucket":
		return fmt.Sprintf("arn:%s:s3:::%s", p, strings.ToLower(n))
	case "AWS::Kinesis::Stream":
		return fmt.Sprintf("arn:%s:kinesis:%s:%s:stream/%s", p, reg, acct, n)
	case "AWS::KinesisFirehose::DeliveryStream":
		return fmt.Sprintf("arn:%s:firehose:%s:%s:deliverystream/%s", p, reg, acct, n)
	case "AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine":
		return fmt.Sprintf("arn:%s:states:%s:%s:stateMachine:%s", p, reg, acct, n)
	case "AWS::Events::EventBus":
		return fmt.Sprintf("arn:%s:events:%s:%s:event-bus/%s", p, reg, acct, n)
	case "AWS::Events::Rule":
		return fmt.Sprintf("arn:%s:events:%s:%s:rule/%s", p, reg, acct, n)
	case "AWS::SecretsManager::Secret":
		return fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s", p, reg, acct, n)
	case "AWS::SSM::Parameter":
		return fmt.Sprintf("arn:%s:ssm:%s:%s:parameter/%s", p, reg, acct, n)
	case "AWS::IAM::Role":
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", p, acct, n)
	case "AWS::IAM::User":
		return fmt.Sprintf("arn:%s:iam::%s:user/%s", p, acct, n)
	case "AWS::IAM::ManagedPolicy":
		return fmt.Sprintf("arn:%s:iam::%s:policy/%s", p, acct, n)
	case "AWS::Logs::LogGroup":
		return fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", p, reg, acct, n)
	case "AWS::KMS::Key":
		return fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", p, reg, acct, n)
	case "AWS::Cognito::UserPool":
		return fmt.Sprintf("arn:%s:cognito-idp:%s:%s:userpool/%s", p, reg, acct, n)
	case "AWS::Lambda::LayerVersion", "AWS::Serverless::LayerVersion":
		return fmt.Sprintf("arn:%s:lambda:%s:%s:layer:%s:1", p, reg, acct, n)
	case "AWS::ApiGateway::RestApi", "AWS::Serverless::Api":
		return fmt.Sprintf("arn:%s:apigateway:%s::/restapis/%s", p, reg, n)
	case "AWS::ApiGatewayV2::Api", "AWS::Serverless::HttpApi":
		return fmt.Sprintf("arn:%s:apigateway:%s::/apis/%s", p, reg, n)
	}
	// AWS::Service::Kind → arn:aws:service:region:account:kind/Name, the
	// shape most services use.
	parts := strings.Split(r.typ, "::")
	service, kind := "unknown", "resource"
	if len(parts) == 3 {
		service, kind = strings.ToLower(parts[1]), strings.ToLower(parts[2])
	}
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s/%s", p, service, reg, acct, kind, n)
}

// lambdaARN turns a function name (or ARN) into its ARN.
func (l *loader) lambdaARN(fn string) string {
	if strings.HasPrefix(fn, "arn:") {
		return fn
	}
	return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", l.partition(), l.opts.Region, l.opts.AccountID, fn)
}

// rootResource is the id RootResourceId stands for: the logical id of the
// REST API with a suffix no logical id can have, so that a Resource's
// ParentId tells its API's root from another Resource.
func rootResource(api string) string { return api + "/" }

// emulatedType reports whether gatescope reads resources of type t itself
// (so a Ref to one is wiring, not a stand-in).
func (l *loader) emulatedType(t string) bool {
	if isFunctionType(t) {
		return true
	}
	spec, ok := resourceSpecs[t]
	return ok && spec.inertType == ""
}

// noteStandIn records that the value being resolved holds a stand-in; a
// caller that reports values (environment variables) takes the notes.
func (l *loader) noteStandIn(s string) {
	l.standIns = append(l.standIns, s)
}

// quiet resolves n without keeping its stand-in notes: for values that
// only name things.
func (l *loader) quiet(n *yaml.Node, res string) *yaml.Node {
	mark := len(l.standIns)
	v, _ := l.resolve(n, loc{res: res})
	l.standIns = l.standIns[:mark]
	return v
}

// samFunctionRef resolves the names SAM gives generated resources: a
// function's Fn.Alias (with AutoPublishAlias) and Fn.Version, which locally
// run the function's current code, and an API's Api.Stage.
func (l *loader) samFunctionRef(name string) (string, bool) {
	fn, suffix, ok := strings.Cut(name, ".")
	r := l.resources[fn]
	if !ok || r == nil {
		return "", false
	}
	if suffix == "Stage" && (r.typ == "AWS::Serverless::Api" || r.typ == "AWS::Serverless::HttpApi") {
		return l.samStage(r), true
	}
	if r.typ != "AWS::Serverless::Function" {
		return "", false
	}
	switch suffix {
	case "Alias":
		alias, _ := scalar(l.quiet(get(r.props, "AutoPublishAlias"), fn))
		if alias == "" {
			return "", false
		}
		return l.functionARN(fn) + ":" + alias, true
	case "Version":
		return l.functionARN(fn) + ":1", true
	}
	return "", false
}

// samStage is the stage name of a SAM API: StageName, else SAM's default.
func (l *loader) samStage(r *resource) string {
	if s, ok := scalar(l.quiet(get(r.props, "StageName"), r.name)); ok && s != "" {
		return s
	}
	if r.typ == "AWS::Serverless::HttpApi" {
		return defaultHTTPStage
	}
	return defaultRESTStage
}
