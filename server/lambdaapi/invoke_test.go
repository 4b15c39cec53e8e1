package lambdaapi

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/testenv"
)

func sdkClient(endpoint string) *awslambda.Client {
	return awslambda.New(awslambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  staticCreds{},
		Retryer:      aws.NopRetryer{},
	})
}

func TestInvokeAPIWithSDK(t *testing.T) {
	fn := goFunction(t)
	fn.ReservedConcurrency = reserved(1)
	m := newManager(t, fn)
	type outcome struct {
		res *lambda.Result
		err error
	}
	async := make(chan outcome, 1) // the one Event invoke, once it has finished
	client := sdkClient(serveAPI(t, m, func(_ string, req lambda.Request, res *lambda.Result, err error, _ time.Time) {
		if string(req.Payload) == `{"echo":"async"}` {
			async <- outcome{res, err}
		}
	}))
	ctx := context.Background()

	t.Run("request-response with log tail", func(t *testing.T) {
		out, err := client.Invoke(ctx, &awslambda.InvokeInput{
			FunctionName: aws.String("GoFn"), Payload: []byte(`{"echo":"sdk","print":"from sdk"}`), LogType: types.LogTypeTail,
		})
		if err != nil {
			t.Fatal(err)
		}
		if string(out.Payload) != `{"echo":"sdk"}` || out.StatusCode != 200 || out.FunctionError != nil {
			t.Fatalf("status %d payload %s error %v", out.StatusCode, out.Payload, out.FunctionError)
		}
		if aws.ToString(out.ExecutedVersion) != "$LATEST" {
			t.Errorf("ExecutedVersion = %q", aws.ToString(out.ExecutedVersion))
		}
		log, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		if !strings.Contains(string(log), "from sdk") || !strings.Contains(string(log), "REPORT RequestId: ") {
			t.Errorf("log tail:\n%s", log)
		}
	})
	t.Run("by ARN", func(t *testing.T) {
		out, err := client.Invoke(ctx, &awslambda.InvokeInput{
			FunctionName: aws.String("arn:aws:lambda:eu-west-1:123456789012:function:go-fn"), Payload: []byte(`{"echo":"arn"}`),
		})
		if err != nil || string(out.Payload) != `{"echo":"arn"}` {
			t.Fatalf("err %v payload %s", err, out.Payload)
		}
	})
	t.Run("function error", func(t *testing.T) {
		out, err := client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("GoFn"), Payload: []byte(`{"fail":"nope"}`)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.FunctionError) != "Unhandled" || string(out.Payload) != `{"errorMessage":"nope","errorType":"errorString"}` {
			t.Fatalf("FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
		}
	})
	t.Run("not found", func(t *testing.T) {
		_, err := client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("Nope"), Payload: []byte(`{}`)})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("err = %v, want ResourceNotFoundException", err)
		}
	})
	t.Run("invalid JSON", func(t *testing.T) {
		_, err := client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("GoFn"), Payload: []byte(`{nope`)})
		var bad *types.InvalidRequestContentException
		if !errors.As(err, &bad) {
			t.Fatalf("err = %v, want InvalidRequestContentException", err)
		}
	})
	t.Run("dry run and event", func(t *testing.T) {
		out, err := client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("GoFn"), InvocationType: types.InvocationTypeDryRun})
		if err != nil || out.StatusCode != 204 {
			t.Fatalf("DryRun: %v %d", err, out.StatusCode)
		}
		out, err = client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("GoFn"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"echo":"async"}`)})
		if err != nil || out.StatusCode != 202 {
			t.Fatalf("Event: %v %d", err, out.StatusCode)
		}
		// It runs in the background; the next subtest needs the only
		// environment free, so wait until it has finished.
		select {
		case o := <-async:
			if o.err != nil || string(o.res.Payload) != `{"echo":"async"}` {
				t.Fatalf("async invoke: err %v result %+v", o.err, o.res)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the async invoke did not finish")
		}
	})
	t.Run("throttled", func(t *testing.T) {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("GoFn"), Payload: []byte(`{"sleepMs":600}`)})
		}()
		waitBusy(t, m, "GoFn", 1)
		_, err := client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("GoFn"), Payload: []byte(`{}`)})
		wg.Wait()
		var tm *types.TooManyRequestsException
		if !errors.As(err, &tm) || string(tm.Reason) != "ReservedFunctionConcurrentInvocationLimitExceeded" {
			t.Fatalf("err = %v, want TooManyRequestsException with Lambda's reason", err)
		}
	})
}

// TestRemoteFunction points one Manager's remote function at another
// Manager's Invoke API, as a deployed function would be reached.
func TestRemoteFunction(t *testing.T) {
	local := newManager(t, goFunction(t))
	endpoint := serveAPI(t, local, nil)

	r, err := lambda.NewRemote(context.Background(), lambda.RemoteOptions{Region: "us-east-1", Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:lambda:us-east-1:210987654321:function:GoFn"
	// An ARN in another account that the template does not declare is
	// remote too, even when a local function (GoFn) has the same name.
	remote := lambda.New(slog.New(slog.NewTextHandler(io.Discard, nil)),
		&config.Project{Functions: []*config.Function{{Name: "Deployed", ARN: arn}, {Name: "GoFn", Runtime: "java21"}}},
		lambda.Options{Remote: r})
	t.Cleanup(remote.Close)

	res, err := remote.Invoke(context.Background(), "Deployed", lambda.Request{Payload: []byte(`{"echo":"far","print":"remote log"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Payload) != `{"echo":"far"}` || res.Target != arn || !strings.Contains(res.Log, "remote log") || res.RequestID == "" {
		t.Fatalf("remote result: %+v", res)
	}
	res, err = remote.Invoke(context.Background(), "Deployed", lambda.Request{Payload: []byte(`{"fail":"far away"}`)})
	if err != nil || res.FunctionError != "Unhandled" {
		t.Fatalf("remote function error: %v %+v", err, res)
	}
	res, err = remote.Invoke(context.Background(), arn, lambda.Request{Payload: []byte(`{"echo":"by arn"}`)})
	if err != nil || string(res.Payload) != `{"echo":"by arn"}` || res.Target != arn {
		t.Fatalf("invoke by ARN: %v %+v", err, res)
	}

	if _, err := lambda.NewRemote(context.Background(), lambda.RemoteOptions{Endpoint: endpoint, Self: strings.TrimPrefix(endpoint, "http://")}); err == nil {
		t.Error("a remote endpoint that is our own Invoke API must be refused")
	}
}

// TestInvokeAPIWithAWSCLI drives the Invoke API with the real AWS CLI.
func TestInvokeAPIWithAWSCLI(t *testing.T) {
	testenv.Need(t, "aws")
	m := newManager(t, goFunction(t))
	endpoint := serveAPI(t, m, nil)
	out := filepath.Join(t.TempDir(), "out.json")
	args := []string{"lambda", "invoke", "--endpoint-url", endpoint, "--region", "us-east-1",
		"--function-name", "GoFn", "--payload", `{"echo":"cli"}`, out}
	if v, _ := exec.Command("aws", "--version").CombinedOutput(); strings.HasPrefix(string(v), "aws-cli/2") {
		// CLI v2 reads --payload as base64 unless told otherwise; v1 sends it as is.
		args = append(args, "--cli-binary-format", "raw-in-base64-out")
	}
	cmd := exec.Command("aws", args...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_PAGER=")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws lambda invoke: %v\n%s", err, b)
	}
	if !strings.Contains(string(b), `"StatusCode": 200`) || !strings.Contains(string(b), `"ExecutedVersion": "$LATEST"`) {
		t.Errorf("CLI output:\n%s", b)
	}
	got, _ := os.ReadFile(out)
	if string(got) != `{"echo":"cli"}` {
		t.Errorf("payload file = %s", got)
	}
}
