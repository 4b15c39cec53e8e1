package lambdaapi

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gatescope/gatescope/server/lambda"
)

// Prefixes are the path prefixes of every Lambda API operation (each
// operation's path starts with its API version's date). The ui address
// routes them here, so that an operation gatescope does not serve is
// answered in Lambda's error shape, never as a dashboard page.
var Prefixes = func() []string {
	var out []string
	for _, op := range operations {
		p := "/" + strings.SplitN(op.path, "/", 3)[1] + "/"
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}()

// Unknown answers an operation gatescope does not serve: 404 with
// x-amzn-ErrorType UnknownOperationException, naming the operation when
// the method and path are one of Lambda's.
func (a *API) Unknown(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", newRequestID())
	msg := "gatescope does not serve " + r.Method + " " + r.URL.Path + ", which is not a Lambda API operation"
	if name := operationName(r.Method, r.URL); name != "" {
		msg = "gatescope does not emulate the Lambda API operation " + name +
			"; it serves Invoke, GetAccountSettings, ListFunctions, GetFunction and GetFunctionConfiguration"
	}
	writeError(w, &lambda.ServiceError{Type: "UnknownOperationException", Status: http.StatusNotFound, Message: msg})
}

// operationName finds the Lambda operation a request is, or "".
func operationName(method string, u *url.URL) string {
	path := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	for _, op := range operations {
		tpl, query, _ := strings.Cut(op.path, "?")
		if op.method != method || !matchPath(strings.Split(strings.Trim(tpl, "/"), "/"), path) {
			continue
		}
		if k, v, ok := strings.Cut(query, "="); ok && u.Query().Get(k) != v {
			continue
		}
		return op.name
	}
	return ""
}

// matchPath matches path segments against a template's, where "{Label}"
// matches any one segment.
func matchPath(tpl, path []string) bool {
	if len(tpl) != len(path) {
		return false
	}
	for i, t := range tpl {
		if !strings.HasPrefix(t, "{") && t != path[i] {
			return false
		}
	}
	return true
}

// operations are Lambda's HTTP operations, as aws-sdk-go-v2's
// service/lambda v1.114.4 models them (schemas/schemas.go): method, path,
// name. Queried forms come first, so they win over their plain path.
var operations = []struct{ method, path, name string }{
	{"GET", "/2018-10-31/layers?find=LayerVersion", "GetLayerVersionByArn"},
	{"GET", "/2019-09-30/functions/{FunctionName}/provisioned-concurrency?List=ALL", "ListProvisionedConcurrencyConfigs"},
	{"POST", "/2014-11-13/functions/{FunctionName}/invoke-async", "InvokeAsync"},
	{"GET", "/2015-03-31/event-source-mappings", "ListEventSourceMappings"},
	{"POST", "/2015-03-31/event-source-mappings", "CreateEventSourceMapping"},
	{"DELETE", "/2015-03-31/event-source-mappings/{UUID}", "DeleteEventSourceMapping"},
	{"GET", "/2015-03-31/event-source-mappings/{UUID}", "GetEventSourceMapping"},
	{"PUT", "/2015-03-31/event-source-mappings/{UUID}", "UpdateEventSourceMapping"},
	{"GET", "/2015-03-31/functions", "ListFunctions"},
	{"POST", "/2015-03-31/functions", "CreateFunction"},
	{"DELETE", "/2015-03-31/functions/{FunctionName}", "DeleteFunction"},
	{"GET", "/2015-03-31/functions/{FunctionName}", "GetFunction"},
	{"GET", "/2015-03-31/functions/{FunctionName}/aliases", "ListAliases"},
	{"POST", "/2015-03-31/functions/{FunctionName}/aliases", "CreateAlias"},
	{"DELETE", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "DeleteAlias"},
	{"GET", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "GetAlias"},
	{"PUT", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "UpdateAlias"},
	{"PUT", "/2015-03-31/functions/{FunctionName}/code", "UpdateFunctionCode"},
	{"GET", "/2015-03-31/functions/{FunctionName}/configuration", "GetFunctionConfiguration"},
	{"PUT", "/2015-03-31/functions/{FunctionName}/configuration", "UpdateFunctionConfiguration"},
	{"POST", "/2015-03-31/functions/{FunctionName}/invocations", "Invoke"},
	{"GET", "/2015-03-31/functions/{FunctionName}/policy", "GetPolicy"},
	{"POST", "/2015-03-31/functions/{FunctionName}/policy", "AddPermission"},
	{"DELETE", "/2015-03-31/functions/{FunctionName}/policy/{StatementId}", "RemovePermission"},
	{"GET", "/2015-03-31/functions/{FunctionName}/versions", "ListVersionsByFunction"},
	{"POST", "/2015-03-31/functions/{FunctionName}/versions", "PublishVersion"},
	{"GET", "/2016-08-19/account-settings", "GetAccountSettings"},
	{"DELETE", "/2017-03-31/tags/{Resource}", "UntagResource"},
	{"GET", "/2017-03-31/tags/{Resource}", "ListTags"},
	{"POST", "/2017-03-31/tags/{Resource}", "TagResource"},
	{"DELETE", "/2017-10-31/functions/{FunctionName}/concurrency", "DeleteFunctionConcurrency"},
	{"PUT", "/2017-10-31/functions/{FunctionName}/concurrency", "PutFunctionConcurrency"},
	{"GET", "/2018-10-31/layers", "ListLayers"},
	{"GET", "/2018-10-31/layers/{LayerName}/versions", "ListLayerVersions"},
	{"POST", "/2018-10-31/layers/{LayerName}/versions", "PublishLayerVersion"},
	{"DELETE", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}", "DeleteLayerVersion"},
	{"GET", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}", "GetLayerVersion"},
	{"GET", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy", "GetLayerVersionPolicy"},
	{"POST", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy", "AddLayerVersionPermission"},
	{"DELETE", "/2018-10-31/layers/{LayerName}/versions/{VersionNumber}/policy/{StatementId}", "RemoveLayerVersionPermission"},
	{"DELETE", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "DeleteFunctionEventInvokeConfig"},
	{"GET", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "GetFunctionEventInvokeConfig"},
	{"POST", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "UpdateFunctionEventInvokeConfig"},
	{"PUT", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "PutFunctionEventInvokeConfig"},
	{"GET", "/2019-09-25/functions/{FunctionName}/event-invoke-config/list", "ListFunctionEventInvokeConfigs"},
	{"GET", "/2019-09-30/functions/{FunctionName}/concurrency", "GetFunctionConcurrency"},
	{"DELETE", "/2019-09-30/functions/{FunctionName}/provisioned-concurrency", "DeleteProvisionedConcurrencyConfig"},
	{"GET", "/2019-09-30/functions/{FunctionName}/provisioned-concurrency", "GetProvisionedConcurrencyConfig"},
	{"PUT", "/2019-09-30/functions/{FunctionName}/provisioned-concurrency", "PutProvisionedConcurrencyConfig"},
	{"GET", "/2020-04-22/code-signing-configs", "ListCodeSigningConfigs"},
	{"POST", "/2020-04-22/code-signing-configs", "CreateCodeSigningConfig"},
	{"DELETE", "/2020-04-22/code-signing-configs/{CodeSigningConfigArn}", "DeleteCodeSigningConfig"},
	{"GET", "/2020-04-22/code-signing-configs/{CodeSigningConfigArn}", "GetCodeSigningConfig"},
	{"PUT", "/2020-04-22/code-signing-configs/{CodeSigningConfigArn}", "UpdateCodeSigningConfig"},
	{"GET", "/2020-04-22/code-signing-configs/{CodeSigningConfigArn}/functions", "ListFunctionsByCodeSigningConfig"},
	{"DELETE", "/2020-06-30/functions/{FunctionName}/code-signing-config", "DeleteFunctionCodeSigningConfig"},
	{"GET", "/2020-06-30/functions/{FunctionName}/code-signing-config", "GetFunctionCodeSigningConfig"},
	{"PUT", "/2020-06-30/functions/{FunctionName}/code-signing-config", "PutFunctionCodeSigningConfig"},
	{"GET", "/2021-07-20/functions/{FunctionName}/runtime-management-config", "GetRuntimeManagementConfig"},
	{"PUT", "/2021-07-20/functions/{FunctionName}/runtime-management-config", "PutRuntimeManagementConfig"},
	{"DELETE", "/2021-10-31/functions/{FunctionName}/url", "DeleteFunctionUrlConfig"},
	{"GET", "/2021-10-31/functions/{FunctionName}/url", "GetFunctionUrlConfig"},
	{"POST", "/2021-10-31/functions/{FunctionName}/url", "CreateFunctionUrlConfig"},
	{"PUT", "/2021-10-31/functions/{FunctionName}/url", "UpdateFunctionUrlConfig"},
	{"GET", "/2021-10-31/functions/{FunctionName}/urls", "ListFunctionUrlConfigs"},
	{"POST", "/2021-11-15/functions/{FunctionName}/response-streaming-invocations", "InvokeWithResponseStream"},
	{"GET", "/2024-08-31/functions/{FunctionName}/recursion-config", "GetFunctionRecursionConfig"},
	{"PUT", "/2024-08-31/functions/{FunctionName}/recursion-config", "PutFunctionRecursionConfig"},
	{"GET", "/2025-11-30/capacity-providers", "ListCapacityProviders"},
	{"POST", "/2025-11-30/capacity-providers", "CreateCapacityProvider"},
	{"DELETE", "/2025-11-30/capacity-providers/{CapacityProviderName}", "DeleteCapacityProvider"},
	{"GET", "/2025-11-30/capacity-providers/{CapacityProviderName}", "GetCapacityProvider"},
	{"PUT", "/2025-11-30/capacity-providers/{CapacityProviderName}", "UpdateCapacityProvider"},
	{"GET", "/2025-11-30/capacity-providers/{CapacityProviderName}/function-versions", "ListFunctionVersionsByCapacityProvider"},
	{"GET", "/2025-11-30/functions/{FunctionName}/function-scaling-config", "GetFunctionScalingConfig"},
	{"PUT", "/2025-11-30/functions/{FunctionName}/function-scaling-config", "PutFunctionScalingConfig"},
	{"POST", "/2025-12-01/durable-execution-callbacks/{CallbackId}/fail", "SendDurableExecutionCallbackFailure"},
	{"POST", "/2025-12-01/durable-execution-callbacks/{CallbackId}/heartbeat", "SendDurableExecutionCallbackHeartbeat"},
	{"POST", "/2025-12-01/durable-execution-callbacks/{CallbackId}/succeed", "SendDurableExecutionCallbackSuccess"},
	{"GET", "/2025-12-01/durable-executions/{DurableExecutionArn}", "GetDurableExecution"},
	{"POST", "/2025-12-01/durable-executions/{DurableExecutionArn}/checkpoint", "CheckpointDurableExecution"},
	{"GET", "/2025-12-01/durable-executions/{DurableExecutionArn}/history", "GetDurableExecutionHistory"},
	{"GET", "/2025-12-01/durable-executions/{DurableExecutionArn}/state", "GetDurableExecutionState"},
	{"POST", "/2025-12-01/durable-executions/{DurableExecutionArn}/stop", "StopDurableExecution"},
	{"GET", "/2025-12-01/functions/{FunctionName}/durable-executions", "ListDurableExecutionsByFunction"},
	{"DELETE", "/2026-07-09/resource-policy/{ResourceArn}", "DeleteResourcePolicy"},
	{"GET", "/2026-07-09/resource-policy/{ResourceArn}", "GetResourcePolicy"},
	{"PUT", "/2026-07-09/resource-policy/{ResourceArn}", "PutResourcePolicy"},
}
