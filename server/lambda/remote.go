package lambda

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// Remote invokes deployed functions through aws-sdk-go-v2.
type Remote struct {
	client *lambda.Client
}

// RemoteOptions configure NewRemote.
type RemoteOptions struct {
	Region string
	// Endpoint overrides the Lambda endpoint; empty means the standard
	// AWS_ENDPOINT_URL_LAMBDA / AWS_ENDPOINT_URL or AWS itself.
	Endpoint string
	// Self is our own Invoke API address (host:port); invoking it remotely
	// would loop, so it is refused.
	Self string
}

// NewRemote builds a client from the standard credential and region chain.
// It makes one attempt per invoke (throttles show instead of being retried
// away) and, for a local endpoint without credentials, uses static test
// credentials rather than waiting on the instance metadata service.
func NewRemote(ctx context.Context, opts RemoteOptions) (*Remote, error) {
	endpoint := opts.Endpoint
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL_LAMBDA")
	}
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	if endpoint != "" && opts.Self != "" {
		if u, err := url.Parse(endpoint); err == nil && sameHostPort(u.Host, opts.Self) {
			return nil, fmt.Errorf("remote Lambda endpoint %s is gatescope's own Invoke API: unset AWS_ENDPOINT_URL(_LAMBDA) or point it at AWS", endpoint)
		}
	}
	loadOpts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
	}
	if opts.Region != "" {
		loadOpts = append(loadOpts, awsconfig.WithRegion(opts.Region))
	}
	if endpoint != "" && isLoopbackURL(endpoint) {
		loadOpts = append(loadOpts, awsconfig.WithEC2IMDSClientEnableState(imds.ClientDisabled))
		if os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
			loadOpts = append(loadOpts, awsconfig.WithCredentialsProvider(staticCreds{}))
		}
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	client := lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
	})
	return &Remote{client: client}, nil
}

// Invoke calls the deployed function arn synchronously, with its log tail.
func (r *Remote) Invoke(ctx context.Context, arn string, req Request) (*Result, error) {
	in := &lambda.InvokeInput{
		FunctionName:   aws.String(arn),
		Payload:        req.Payload,
		InvocationType: types.InvocationTypeRequestResponse,
		LogType:        types.LogTypeTail,
	}
	if req.ClientContext != "" {
		in.ClientContext = aws.String(base64.StdEncoding.EncodeToString([]byte(req.ClientContext)))
	}
	out, err := r.client.Invoke(ctx, in)
	if err != nil {
		return nil, serviceError(err)
	}
	res := &Result{Payload: out.Payload, Target: arn}
	if out.FunctionError != nil {
		res.FunctionError = *out.FunctionError
	}
	if out.LogResult != nil {
		if b, err := base64.StdEncoding.DecodeString(*out.LogResult); err == nil {
			res.Log = string(b)
			res.RequestID = requestIDFromLog(res.Log)
		}
	}
	return res, nil
}

// serviceError turns an SDK error into a ServiceError with the matching sentinel.
func serviceError(err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("invoke remote function: %w", err)
	}
	se := &ServiceError{Type: ae.ErrorCode(), Message: ae.ErrorMessage(), Status: 500}
	switch ae.ErrorCode() {
	case "ResourceNotFoundException":
		se.Status, se.Err = 404, ErrFunctionNotFound
	case "TooManyRequestsException":
		se.Status, se.Err = 429, ErrThrottled
	case "RequestTooLargeException":
		se.Status, se.Err = 413, ErrRequestTooLarge
	}
	return se
}

// requestIDFromLog finds the request id in a "START RequestId: <id> ..." line.
func requestIDFromLog(log string) string {
	i := strings.Index(log, "RequestId: ")
	if i < 0 {
		return ""
	}
	rest := log[i+len("RequestId: "):]
	if j := strings.IndexAny(rest, " \t\n"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func isLoopbackURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	h := u.Hostname()
	return h == "localhost" || strings.HasPrefix(h, "127.") || h == "::1"
}

func sameHostPort(a, b string) bool {
	norm := func(s string) string { return strings.Replace(s, "localhost:", "127.0.0.1:", 1) }
	return norm(a) == norm(b)
}

type staticCreds struct{}

func (staticCreds) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "gatescope"}, nil
}

// remoteInvoker returns the configured remote invoker, building one from
// the standard AWS configuration on first use.
func (m *Manager) remoteInvoker() (Invoker, error) {
	m.remoteOnce.Do(func() {
		if m.remote != nil {
			return
		}
		r, err := NewRemote(context.Background(), RemoteOptions{Region: m.region(), Self: m.opts.Self})
		if err != nil {
			m.remoteErr = err
			return
		}
		m.remote = r
	})
	return m.remote, m.remoteErr
}
