package apigw

import (
	"testing"

	"github.com/gatescope/gatescope/server/exchange"
)

// The error payloads Lambda's runtimes (and gatescope's bootstraps) post
// when a function needs the AWS SDK that Lambda ships and a local
// interpreter lacks.
func TestExplainMissingSDK(t *testing.T) {
	for _, tt := range []struct{ name, payload, want string }{
		{"ES module, v3 client",
			`{"errorType":"Runtime.ImportModuleError","errorMessage":"Error: Cannot find package '@aws-sdk/client-lambda' imported from /srv/app/index.mjs","trace":[]}`,
			"Function returned an error: Runtime.ImportModuleError: Error: Cannot find package '@aws-sdk/client-lambda' imported from /srv/app/index.mjs. " +
				"Lambda's Node.js runtimes include the AWS SDK for JavaScript v3, so @aws-sdk/client-lambda is there when deployed without being packaged; " +
				"locally it must be installed: npm install --save-dev @aws-sdk/client-lambda in the function's code directory or its project (a dev dependency stays out of the deployment package)"},
		{"CommonJS, a v3 subpath, with its require stack",
			`{"errorType":"Runtime.ImportModuleError","errorMessage":"Error: Cannot find module '@aws-sdk/lib-dynamodb/dist-cjs/index.js'\nRequire stack:\n- /srv/app/index.js"}`,
			"Function returned an error: Runtime.ImportModuleError: Error: Cannot find module '@aws-sdk/lib-dynamodb/dist-cjs/index.js'. " +
				"Lambda's Node.js runtimes include the AWS SDK for JavaScript v3, so @aws-sdk/lib-dynamodb is there when deployed without being packaged; " +
				"locally it must be installed: npm install --save-dev @aws-sdk/lib-dynamodb in the function's code directory or its project (a dev dependency stays out of the deployment package)"},
		{"v2 is not in the runtime",
			`{"errorType":"Runtime.ImportModuleError","errorMessage":"Error: Cannot find module 'aws-sdk'\nRequire stack:\n- /srv/app/index.js"}`,
			"Function returned an error: Runtime.ImportModuleError: Error: Cannot find module 'aws-sdk'. " +
				"Lambda's Node.js 18 and later runtimes do not include the AWS SDK for JavaScript v2 ('aws-sdk'), only v3 (@aws-sdk/*), " +
				"so this fails deployed too: package aws-sdk with the function (npm install aws-sdk) or move to v3"},
		{"Python at import",
			`{"errorMessage":"Unable to import module 'app': No module named 'boto3'","errorType":"Runtime.ImportModuleError","requestId":"","stackTrace":[]}`,
			"Function returned an error: Runtime.ImportModuleError: Unable to import module 'app': No module named 'boto3'. " +
				"Lambda's Python runtimes include boto3 and botocore, so boto3 is there when deployed without being packaged; " +
				"locally install it for the python3 that runs the function: python3 -m pip install boto3 (in a requirements-dev.txt, it stays out of the deployment package)"},
		{"Python, botocore during an invocation",
			`{"errorMessage":"No module named 'botocore.exceptions'","errorType":"ModuleNotFoundError"}`,
			"Function returned an error: ModuleNotFoundError: No module named 'botocore.exceptions'. " +
				"Lambda's Python runtimes include boto3 and botocore, so botocore is there when deployed without being packaged; " +
				"locally install it for the python3 that runs the function: python3 -m pip install boto3 (in a requirements-dev.txt, it stays out of the deployment package)"},
		{"another missing module is the user's",
			`{"errorType":"Runtime.ImportModuleError","errorMessage":"Error: Cannot find module 'lodash'"}`,
			"The function could not start: module 'lodash' could not be loaded: it is not installed or not where Node.js looks (Cannot find module 'lodash')"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			outcome, why := ExplainFunctionError([]byte(tt.payload))
			if outcome != exchange.OutcomeFunctionError || why != tt.want {
				t.Errorf("got %s %q\nwant %q", outcome, why, tt.want)
			}
		})
	}
}
