package config

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A feature is either emulated or listed in Project.NotEmulated: there is no
// third state. The readers (function.go, api.go, rawapi.go, ...) read the
// properties they emulate through props, which marks each key used; after
// loading, audit walks every resource that exists and lists each property
// nothing read, unless the spec below says it is inert. A reader that reads
// a property but cannot emulate it (InlineCode, an authorizer) lists it
// itself. Adding a feature is therefore: read the property, and delete its
// line here.

// inert marks a property (or type) that changes nothing a request or a
// function sees locally: documentation, tags, deployment mechanics.
const inert = ""

// resourceSpec says what gatescope does with the properties of one resource
// type that its reader does not read: "" (inert) or the sentence listed.
type resourceSpec struct {
	// inertType says why the whole type has no local effect; "" when the
	// type has a reader or is listed.
	inertType string
	props     map[string]string
}

// Sentences shared by several types and properties. Each says what is not
// done and what the user sees instead.
const (
	msgIAM         = "IAM is not enforced locally: functions call AWS with your own credentials"
	msgVPC         = "VPC networking is not emulated: the function uses this machine's network"
	msgEFS         = "EFS file systems are not mounted locally"
	msgAsync       = "asynchronous invocation settings (retries, destinations, dead-letter queues) are not emulated"
	msgFunctionURL = "function URLs are not emulated: only API Gateway routes are served"
	msgLogging     = "LoggingConfig (JSON log format, log levels) is not emulated: functions log as plain text"
	msgImage       = "container images cannot run locally"
	msgDomain      = "custom domain names are not emulated: the API answers on its localhost URLs"
	msgThrottle    = "throttling and caching settings are not emulated: every request reaches the integration"
	msgGatewayResp = "custom gateway responses are not emulated: API Gateway's default error answers are sent"
	msgCompression = "response compression (MinimumCompressionSize) is not emulated: responses are sent uncompressed"
	msgResPolicy   = "resource policies are not enforced: every caller is allowed"
	msgAPIKeys     = "API keys of WebSocket APIs are not checked: requests without a key are served"
	msgValidation  = "request validation is not emulated: requests reach the integration unvalidated"
	msgCanary      = "canary deployments are not emulated: every request reaches the current deployment"
	msgMTLS        = "mutual TLS is not emulated: the API is served over plain HTTP"
	msgStages      = "more than one stage is not emulated: gatescope serves the first"
	msgTenancy     = "tenant isolation (TenancyConfig) is not emulated: all tenants share the function's environments"
	msgDurable     = "durable functions (DurableConfig) are not emulated: each invoke runs once, without checkpoints or replay"
)

var resourceSpecs = map[string]resourceSpec{
	"AWS::Serverless::Function": {props: map[string]string{
		"Description": inert, "Tags": inert, "PropagateTags": inert, "KmsKeyArn": inert,
		"CodeSigningConfigArn": inert, "AutoPublishAlias": inert, "AutoPublishCodeSha256": inert,
		"AutoPublishAliasAllProperties": inert, "VersionDescription": inert, "VersionPruningPolicy": inert,
		"DeploymentPreference": inert, "ProvisionedConcurrencyConfig": inert, "RuntimeManagementConfig": inert,
		"SnapStart": inert, "RecursiveLoop": inert, "SourceKMSKeyArn": inert, "EphemeralStorage": inert,
		"Role": msgIAM, "Policies": msgIAM, "PermissionsBoundary": msgIAM, "RolePath": msgIAM,
		"AssumeRolePolicyDocument": msgIAM,
		"VpcConfig":                msgVPC,
		"FileSystemConfigs":        msgEFS,
		"DeadLetterQueue":          msgAsync, "EventInvokeConfig": msgAsync,
		"FunctionUrlConfig": msgFunctionURL,
		"LoggingConfig":     msgLogging,
		"ImageUri":          msgImage, "ImageConfig": msgImage,
		"InlineCode":    "InlineCode beside CodeUri is not emulated: the CodeUri directory runs",
		"TenancyConfig": msgTenancy,
	}},
	"AWS::Lambda::Function": {props: map[string]string{
		"Description": inert, "Tags": inert, "KmsKeyArn": inert, "CodeSigningConfigArn": inert,
		"RuntimeManagementConfig": inert, "SnapStart": inert, "RecursiveLoop": inert, "EphemeralStorage": inert,
		"Role":              msgIAM,
		"VpcConfig":         msgVPC,
		"FileSystemConfigs": msgEFS,
		"DeadLetterConfig":  msgAsync,
		"LoggingConfig":     msgLogging,
		"ImageConfig":       msgImage,
		"TenancyConfig":     msgTenancy,
		"DurableConfig":     msgDurable,
	}},
	// Layers (layer.go): their content is used; what describes them is inert.
	"AWS::Serverless::LayerVersion": {props: map[string]string{
		"LayerName": inert, "Description": inert, "CompatibleRuntimes": inert, "CompatibleArchitectures": inert,
		"LicenseInfo": inert, "RetentionPolicy": inert, "PublishLambdaVersion": inert,
	}},
	"AWS::Lambda::LayerVersion": {props: map[string]string{
		"LayerName": inert, "Description": inert, "CompatibleRuntimes": inert, "CompatibleArchitectures": inert,
		"LicenseInfo": inert,
	}},
	"AWS::Serverless::Api": {props: map[string]string{
		"Name": inert, "Description": inert, "Tags": inert, "PropagateTags": inert,
		"EndpointConfiguration": inert, "OpenApiVersion": inert, "AccessLogSetting": inert,
		"DisableExecuteApiEndpoint": inert, "FailOnWarnings": inert, "Mode": inert, "AlwaysDeploy": inert,
		"MergeDefinitions": inert, "Models": inert,
		"GatewayResponses":       msgGatewayResp,
		"MinimumCompressionSize": msgCompression,
		"Domain":                 msgDomain,
		"CanarySetting":          msgCanary,
		"CacheClusterEnabled":    msgThrottle, "CacheClusterSize": msgThrottle,
		"Policy": msgResPolicy,
	}},
	"AWS::Serverless::HttpApi": {props: map[string]string{
		"Name": inert, "Description": inert, "Tags": inert, "PropagateTags": inert,
		"AccessLogSettings": inert, "FailOnWarnings": inert, "DisableExecuteApiEndpoint": inert,
		"Domain": msgDomain,
	}},
	// Events' Properties, audited like resources.
	"event Api": {props: map[string]string{
		"RequestParameters": inert,
		"RequestModel":      msgValidation,
	}},
	"event HttpApi": {props: map[string]string{}},

	// Raw CloudFormation APIs (rawapi.go).
	"AWS::ApiGateway::RestApi": {props: map[string]string{
		"Name": inert, "Description": inert, "Tags": inert, "EndpointConfiguration": inert,
		"DisableExecuteApiEndpoint": inert, "FailOnWarnings": inert, "Mode": inert, "Parameters": inert,
		"SecurityPolicy": inert, "EndpointAccessMode": inert,
		"Policy":                 msgResPolicy,
		"MinimumCompressionSize": msgCompression,
		"CloneFrom":              "cloning another API (CloneFrom) is not emulated: only the routes this template declares are served",
	}},
	"AWS::ApiGateway::Resource": {props: map[string]string{}},
	"AWS::ApiGateway::Method": {props: map[string]string{
		"RequestParameters": inert, "RequestModels": inert,
		"RequestValidatorId": msgValidation,
	}},
	"AWS::ApiGateway::Deployment": {props: map[string]string{
		"Description": inert, "DeploymentCanarySettings": msgCanary,
	}},
	"AWS::ApiGateway::Stage": {props: map[string]string{
		"Description": inert, "Tags": inert, "AccessLogSetting": inert, "DocumentationVersion": inert,
		"CacheClusterEnabled": msgThrottle, "CacheClusterSize": msgThrottle,
		"CanarySetting":       msgCanary,
		"ClientCertificateId": "client certificates for backend calls are not emulated",
	}},
	"AWS::ApiGatewayV2::Api": {props: map[string]string{
		"Name": inert, "Description": inert, "Tags": inert, "Version": inert, "FailOnWarnings": inert,
		"DisableExecuteApiEndpoint": inert, "DisableSchemaValidation": inert, "BasePath": inert,
		"ApiKeySelectionExpression": msgAPIKeys,
		"CredentialsArn":            msgIAM,
	}},
	"AWS::ApiGatewayV2::Route": {props: map[string]string{
		"RequestModels": msgValidation, "ModelSelectionExpression": msgValidation,
		"RequestParameters": inert,
	}},
	"AWS::ApiGatewayV2::RouteResponse": {props: map[string]string{
		// Models validate nothing a client sees from a Lambda proxy route.
		"ModelSelectionExpression": inert, "ResponseModels": inert, "ResponseParameters": inert,
	}},
	"AWS::ApiGatewayV2::Integration": {props: map[string]string{
		"Description": inert, "IntegrationMethod": inert, "ConnectionType": inert,
		"CredentialsArn": msgIAM,
	}},
	"AWS::ApiGatewayV2::Stage": {props: map[string]string{
		"Description": inert, "Tags": inert, "AccessLogSettings": inert, "AutoDeploy": inert,
		"DeploymentId":        inert,
		"ClientCertificateId": "client certificates for backend calls are not emulated",
		"AccessPolicyId":      msgResPolicy,
	}},
	"AWS::ApiGatewayV2::Deployment": {props: map[string]string{
		"Description": inert,
	}},

	// Versions and aliases run the function's current code locally; an
	// integration naming one invokes the function.
	"AWS::Lambda::Version": {props: map[string]string{
		"FunctionName": inert, "Description": inert, "CodeSha256": inert,
		"ProvisionedConcurrencyConfig": inert, "RuntimePolicy": inert,
	}},
	"AWS::Lambda::Alias": {props: map[string]string{
		"FunctionName": inert, "FunctionVersion": inert, "Name": inert, "Description": inert,
		"ProvisionedConcurrencyConfig": inert,
		"RoutingConfig":                "weighted alias routing is not emulated: every invoke runs the current code",
	}},

	// Access (auth.go, rawauth.go, apikeys.go, permissions.go).
	"AWS::Lambda::Permission":       {props: map[string]string{}},
	"AWS::ApiGateway::Authorizer":   {props: map[string]string{}},
	"AWS::ApiGatewayV2::Authorizer": {props: map[string]string{}},
	"AWS::ApiGateway::ApiKey":       {props: map[string]string{"Description": inert, "Tags": inert}},
	"AWS::ApiGateway::UsagePlan":    {props: map[string]string{"Description": inert, "Tags": inert}},
	"AWS::ApiGateway::UsagePlanKey": {props: map[string]string{}},

	// Types that change nothing a request or a function sees locally.
	"AWS::Lambda::LayerVersionPermission":   {inertType: "sharing a layer with other accounts changes nothing locally"},
	"AWS::Logs::LogGroup":                   {inertType: "gatescope keeps every function's log itself"},
	"AWS::CloudWatch::Alarm":                {inertType: "monitoring only"},
	"AWS::CloudWatch::Dashboard":            {inertType: "monitoring only"},
	"AWS::CDK::Metadata":                    {inertType: "the CDK's own bookkeeping"},
	"AWS::ApiGateway::Account":              {inertType: "the account's CloudWatch logging role"},
	"AWS::ApiGateway::Model":                {inertType: "a model only matters to request validation, which is listed where a route asks for it"},
	"AWS::ApiGateway::RequestValidator":     {inertType: "a validator only matters where a method uses it, which is listed there"},
	"AWS::ApiGateway::DocumentationPart":    {inertType: "documentation only"},
	"AWS::ApiGateway::DocumentationVersion": {inertType: "documentation only"},
}

// typeMessages are the sentences for types gatescope knows it does not
// emulate; any other unknown type gets typeMessage's generic sentence.
var typeMessages = map[string]string{
	"AWS::Serverless::Application":           "nested applications are not emulated: their functions and APIs are not served",
	"AWS::CloudFormation::Stack":             "nested stacks are not emulated: their functions and APIs are not served",
	"AWS::Serverless::StateMachine":          "Step Functions state machines are not emulated: nothing runs them locally",
	"AWS::StepFunctions::StateMachine":       "Step Functions state machines are not emulated: nothing runs them locally",
	"AWS::Lambda::EventSourceMapping":        "event source mappings are not emulated: nothing sends the function these events locally; use gatescope invoke",
	"AWS::Lambda::Url":                       msgFunctionURL,
	"AWS::Lambda::EventInvokeConfig":         msgAsync,
	"AWS::ApiGateway::GatewayResponse":       msgGatewayResp,
	"AWS::ApiGateway::DomainName":            msgDomain,
	"AWS::ApiGateway::BasePathMapping":       msgDomain,
	"AWS::ApiGatewayV2::DomainName":          msgDomain,
	"AWS::ApiGatewayV2::ApiMapping":          msgDomain,
	"AWS::ApiGateway::VpcLink":               "VPC links are not emulated: their integrations are not served",
	"AWS::ApiGatewayV2::VpcLink":             "VPC links are not emulated: their integrations are not served",
	"AWS::ApiGatewayV2::IntegrationResponse": "integration responses of non-proxy integrations are not emulated",
	"AWS::ApiGateway::ClientCertificate":     "client certificates for backend calls are not emulated",
	"AWS::Cognito::UserPool":                 "Cognito user pools are not created locally: a Cognito or JWT authorizer verifies tokens with the pool's keys from AWS, or from serve --jwks ISSUER=FILE_OR_URL (local: gatescope token's keys)",
	"AWS::Cognito::UserPoolClient":           "Cognito app clients are not created locally: tokens for them come from the deployed pool, or from gatescope token",
}

// typeMessage is the sentence listed for a resource of a type gatescope does
// not emulate.
func typeMessage(typ string) string {
	if m, ok := typeMessages[typ]; ok {
		return m
	}
	switch {
	case strings.HasPrefix(typ, "AWS::IAM::") || typ == "AWS::Serverless::Connector":
		return msgIAM
	case strings.HasPrefix(typ, "Custom::") || typ == "AWS::CloudFormation::CustomResource":
		return "custom resources are not emulated: their provider does not run locally"
	case strings.HasPrefix(typ, "AWS::"):
		return typ + " is not emulated: gatescope does not create it; a function that uses it reaches AWS with your credentials"
	}
	return typ + " is not a resource type gatescope knows"
}

// audit lists, for every resource that exists, what nothing emulates.
func (l *loader) audit() {
	for _, r := range l.order {
		if r.handled || !l.included(r) {
			continue
		}
		l.auditResource(r)
	}
	for _, ev := range l.events {
		if !ev.skipped {
			l.auditProps(ev.props, ev.used, "event "+ev.typ)
		}
	}
	for _, a := range l.implicit {
		if a.props.node != nil {
			l.auditProps(a.props, a.used, a.specType)
		}
	}
}

func (l *loader) auditResource(r *resource) {
	spec, known := resourceSpecs[r.typ]
	if !known {
		l.notEmulatedAt(&yaml.Node{Line: r.line}, loc{res: r.name}, "%s", typeMessage(r.typ))
		return
	}
	if spec.inertType != "" {
		return
	}
	l.auditProps(props{l: l, res: r.name, node: r.props, line: r.line}, r.used, r.typ)
}

// auditProps lists the properties of p nothing read and the spec does not
// call inert.
func (l *loader) auditProps(p props, used map[string]bool, specType string) {
	spec := resourceSpecs[specType]
	for _, kv := range pairs(p.node) {
		if used[kv.key] {
			continue
		}
		msg, ok := spec.props[kv.key]
		switch {
		case ok && msg == inert:
			continue
		case !ok:
			what := strings.TrimPrefix(specType, "event ")
			if what != specType {
				what += " event"
			}
			msg = fmt.Sprintf("%s property %s is not emulated: gatescope ignores it", what, kv.key)
		}
		l.notEmulatedAt(kv.k, p.at(kv.key), "%s", msg)
	}
}
