package lambdaapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/testenv"
)

// controlPlane is a Manager with two local functions (one reserved), one
// remote one that is not this service's to describe, and one whose code
// cannot run.
func controlPlane(t *testing.T) (*awslambda.Client, string) {
	t.Helper()
	testenv.Need(t, "node")
	gofn := goFunction(t)
	gofn.ReservedConcurrency = reserved(2)
	gofn.Description = "echoes"
	node, err := filepath.Abs("../lambda/testdata/nodefn")
	if err != nil {
		t.Fatal(err)
	}
	layer := t.TempDir()
	os.WriteFile(filepath.Join(layer, "data.txt"), []byte("0123456789"), 0o644)
	fns := []*config.Function{
		gofn,
		{Name: "NodeFn", FunctionName: "NodeFn", Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: node,
			Architecture: "arm64", Timeout: 3 * time.Second, MemoryMB: 128,
			Layers: []*config.Layer{{Name: "Data", ARN: "arn:aws:lambda:eu-west-1:123456789012:layer:Data:1", Content: layer}}},
		{Name: "Deployed", ARN: "arn:aws:lambda:us-east-1:210987654321:function:deployed"},
		{Name: "Broken", FunctionName: "Broken", Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: "/does/not/exist",
			Architecture: "x86_64", Timeout: 3 * time.Second, MemoryMB: 128},
	}
	m := startManager(t, fns...)
	if err := m.Prepare(context.Background()); err == nil || !strings.Contains(err.Error(), "Broken") {
		t.Fatalf("prepare: %v, want Broken to fail", err)
	}
	endpoint := serveAPI(t, m, nil)
	return sdkClient(endpoint), endpoint
}

func TestControlPlaneWithSDK(t *testing.T) {
	c, _ := controlPlane(t)
	ctx := context.Background()

	t.Run("GetAccountSettings", func(t *testing.T) {
		out, err := c.GetAccountSettings(ctx, &awslambda.GetAccountSettingsInput{})
		if err != nil {
			t.Fatal(err)
		}
		l, u := out.AccountLimit, out.AccountUsage
		if l.ConcurrentExecutions != 1000 || aws.ToInt32(l.UnreservedConcurrentExecutions) != 998 ||
			l.CodeSizeZipped != 52428800 || l.CodeSizeUnzipped != 262144000 || l.TotalCodeSize != 80530636800 {
			t.Errorf("AccountLimit = %+v", l)
		}
		if u.FunctionCount != 3 || u.TotalCodeSize <= 0 {
			t.Errorf("AccountUsage = %+v: want the 3 local functions and their code", u)
		}
	})

	t.Run("ListFunctions, a page at a time", func(t *testing.T) {
		var names []string
		var confs []types.FunctionConfiguration
		p := awslambda.NewListFunctionsPaginator(c, &awslambda.ListFunctionsInput{MaxItems: aws.Int32(2)})
		for pages := 0; p.HasMorePages(); pages++ {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Functions) > 2 || pages > 2 {
				t.Fatalf("page %d has %d functions", pages, len(out.Functions))
			}
			for _, f := range out.Functions {
				names = append(names, aws.ToString(f.FunctionName))
				confs = append(confs, f)
			}
		}
		if strings.Join(names, ",") != "go-fn,NodeFn,Broken" {
			t.Fatalf("functions %v, want the local ones in template order", names)
		}
		node := confs[1]
		if node.Runtime != types.RuntimeNodejs20x || aws.ToString(node.Handler) != "index.handler" || node.State != types.StateActive ||
			node.Architectures[0] != types.ArchitectureArm64 || node.PackageType != types.PackageTypeZip ||
			aws.ToString(node.FunctionArn) != "arn:aws:lambda:eu-west-1:123456789012:function:NodeFn" || node.CodeSize <= 0 {
			t.Errorf("NodeFn: %+v", node)
		}
		if len(node.Layers) != 1 || aws.ToString(node.Layers[0].Arn) != "arn:aws:lambda:eu-west-1:123456789012:layer:Data:1" || node.Layers[0].CodeSize != 10 {
			t.Errorf("NodeFn's layers: %+v", node.Layers)
		}
		broken := confs[2]
		if broken.State != types.StateFailed || !strings.Contains(aws.ToString(broken.StateReason), "/does/not/exist") ||
			broken.LastUpdateStatus != types.LastUpdateStatusFailed {
			t.Errorf("Broken: state %s %q, update %s", broken.State, aws.ToString(broken.StateReason), broken.LastUpdateStatus)
		}
	})

	t.Run("GetFunction by ARN", func(t *testing.T) {
		out, err := c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("arn:aws:lambda:eu-west-1:123456789012:function:go-fn")})
		if err != nil {
			t.Fatal(err)
		}
		f := out.Configuration
		if aws.ToString(f.FunctionName) != "go-fn" || aws.ToString(f.Description) != "echoes" || aws.ToInt32(f.Timeout) != 2 ||
			aws.ToInt32(f.MemorySize) != 256 || f.Environment.Variables["GREETING"] != "hi" || aws.ToString(f.Version) != "$LATEST" ||
			aws.ToString(f.CodeSha256) == "" || aws.ToString(f.RevisionId) == "" || f.LoggingConfig.LogGroup == nil ||
			aws.ToString(f.LoggingConfig.LogGroup) != "/aws/lambda/go-fn" || aws.ToInt32(f.EphemeralStorage.Size) != 512 {
			t.Errorf("Configuration: %+v", f)
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000-0700", aws.ToString(f.LastModified)); err != nil {
			t.Errorf("LastModified %q is not in Lambda's format: %v", aws.ToString(f.LastModified), err)
		}
		if out.Concurrency == nil || aws.ToInt32(out.Concurrency.ReservedConcurrentExecutions) != 2 {
			t.Errorf("Concurrency = %+v, want the reserved 2", out.Concurrency)
		}
		if !strings.HasPrefix(aws.ToString(out.Code.Location), "file:///") {
			t.Errorf("Code.Location = %q, want where the code is", aws.ToString(out.Code.Location))
		}
	})

	t.Run("GetFunctionConfiguration with a qualifier", func(t *testing.T) {
		out, err := c.GetFunctionConfiguration(ctx, &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String("GoFn"), Qualifier: aws.String("live")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.FunctionArn) != "arn:aws:lambda:eu-west-1:123456789012:function:go-fn:live" || out.State != types.StateActive {
			t.Errorf("FunctionArn %q, state %s", aws.ToString(out.FunctionArn), out.State)
		}
	})

	t.Run("not found, and remote functions are AWS's", func(t *testing.T) {
		for _, name := range []string{"Nope", "Deployed"} {
			_, err := c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String(name)})
			var nf *types.ResourceNotFoundException
			if !errors.As(err, &nf) {
				t.Errorf("GetFunction(%s): err = %v, want ResourceNotFoundException", name, err)
			}
		}
	})

	t.Run("an operation gatescope does not emulate", func(t *testing.T) {
		_, err := c.ListAliases(ctx, &awslambda.ListAliasesInput{FunctionName: aws.String("GoFn")})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "UnknownOperationException" || !strings.Contains(ae.ErrorMessage(), "ListAliases") {
			t.Fatalf("err = %v, want UnknownOperationException naming ListAliases", err)
		}
	})
}

// TestUnknownPathsAnswerInLambdasShape: nothing under Lambda's API paths
// answers as a page.
func TestUnknownPathsAnswerInLambdasShape(t *testing.T) {
	_, endpoint := controlPlane(t)
	for _, tt := range []struct{ method, path, op string }{
		{"DELETE", "/2015-03-31/functions/GoFn", "DeleteFunction"},
		{"GET", "/2018-10-31/layers?find=LayerVersion&Arn=x", "GetLayerVersionByArn"},
		{"GET", "/2018-10-31/layers", "ListLayers"},
		{"GET", "/2015-03-31/nothing/here", ""},
	} {
		req, _ := http.NewRequest(tt.method, endpoint+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Type, Message string }
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 404 || resp.Header.Get("X-Amzn-Errortype") != "UnknownOperationException" ||
			resp.Header.Get("Content-Type") != "application/json" || body.Type != "User" || !strings.Contains(body.Message, tt.op) {
			t.Errorf("%s %s: %d %s %+v", tt.method, tt.path, resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), body)
		}
	}
}

// awsCLI runs the real AWS CLI against endpoint.
func awsCLI(t *testing.T, endpoint string, args ...string) (string, error) {
	t.Helper()
	testenv.Need(t, "aws")
	cmd := exec.Command("aws", append([]string{"lambda", "--endpoint-url", endpoint, "--region", "eu-west-1", "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_PAGER=")
	b, err := cmd.CombinedOutput()
	return string(b), err
}

func TestControlPlaneWithAWSCLI(t *testing.T) {
	_, endpoint := controlPlane(t)
	decode := func(out string, v any) {
		t.Helper()
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
	}

	out, err := awsCLI(t, endpoint, "get-account-settings")
	if err != nil {
		t.Fatalf("get-account-settings: %v\n%s", err, out)
	}
	var settings struct {
		AccountLimit struct{ ConcurrentExecutions, UnreservedConcurrentExecutions int }
		AccountUsage struct{ FunctionCount int }
	}
	decode(out, &settings)
	if settings.AccountLimit.ConcurrentExecutions != 1000 || settings.AccountLimit.UnreservedConcurrentExecutions != 998 ||
		settings.AccountUsage.FunctionCount != 3 {
		t.Errorf("get-account-settings: %s", out)
	}

	// The CLI pages through everything itself; --page-size 1 makes it ask
	// for one function at a time.
	out, err = awsCLI(t, endpoint, "list-functions", "--page-size", "1")
	if err != nil {
		t.Fatalf("list-functions: %v\n%s", err, out)
	}
	var list struct {
		Functions []struct{ FunctionName, Runtime, State string }
	}
	decode(out, &list)
	if len(list.Functions) != 3 || list.Functions[0].FunctionName != "go-fn" || list.Functions[1].Runtime != "nodejs20.x" ||
		list.Functions[1].State != "Active" {
		t.Errorf("list-functions: %s", out)
	}

	out, err = awsCLI(t, endpoint, "get-function", "--function-name", "NodeFn")
	if err != nil {
		t.Fatalf("get-function: %v\n%s", err, out)
	}
	var fn struct {
		Configuration struct{ FunctionName, Handler string }
		Code          struct{ Location string }
	}
	decode(out, &fn)
	if fn.Configuration.FunctionName != "NodeFn" || fn.Configuration.Handler != "index.handler" || !strings.HasSuffix(fn.Code.Location, "/nodefn") {
		t.Errorf("get-function: %s", out)
	}

	out, err = awsCLI(t, endpoint, "get-function-configuration", "--function-name", "go-fn")
	if err != nil || !strings.Contains(out, `"FunctionName": "go-fn"`) || !strings.Contains(out, `"Description": "echoes"`) {
		t.Errorf("get-function-configuration: %v\n%s", err, out)
	}

	out, err = awsCLI(t, endpoint, "get-function", "--function-name", "Nope")
	if err == nil || !strings.Contains(out, "ResourceNotFoundException") {
		t.Errorf("get-function Nope: %v\n%s", err, out)
	}
	out, err = awsCLI(t, endpoint, "list-aliases", "--function-name", "go-fn")
	if err == nil || !strings.Contains(out, "UnknownOperationException") || !strings.Contains(out, "ListAliases") {
		t.Errorf("list-aliases: %v\n%s", err, out)
	}
}
