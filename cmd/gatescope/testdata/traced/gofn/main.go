// Command gofn is an instrumented test function: what a developer writes
// with aws-xray-sdk-go and OpenTelemetry's Go SDK. The request's path
// picks what it does:
//
//	/go       an X-Ray subsegment with an annotation, metadata and a SQL call
//	/go/fail  an X-Ray subsegment that fails, then the handler fails (error cause)
//	/otel     OpenTelemetry spans sent over OTLP/HTTP (protobuf)
//	/slow     runs past its timeout
//	/call     invokes the GoTraced function through the Lambda Invoke API (SDK v2, X-Ray instrumented)
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-xray-sdk-go/instrumentation/awsv2"
	"github.com/aws/aws-xray-sdk-go/xray"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	oteltrace "go.opentelemetry.io/otel/trace"
)

func handle(ctx context.Context, ev json.RawMessage) (map[string]any, error) {
	var e struct {
		Path    string `json:"path"`
		RawPath string `json:"rawPath"`
	}
	json.Unmarshal(ev, &e)
	path := e.Path + e.RawPath
	switch {
	case strings.HasSuffix(path, "/slow"):
		fmt.Println("waiting for a slow dependency")
		time.Sleep(3 * time.Second)
		return map[string]any{"statusCode": 200, "body": "too late"}, nil
	case strings.HasSuffix(path, "/go/fail"):
		fmt.Println("charging card for customer c-42")
		err := xray.Capture(ctx, "charge-card", func(ctx context.Context) error {
			xray.AddAnnotation(ctx, "customer", "c-42")
			return errors.New("card declined")
		})
		fmt.Println("ERROR the card was declined")
		return nil, fmt.Errorf("payment failed: %w", err)
	case strings.HasSuffix(path, "/go"):
		err := xray.Capture(ctx, "load-order", func(ctx context.Context) error {
			xray.AddAnnotation(ctx, "order", "o-7")
			xray.AddMetadata(ctx, "items", []string{"book", "pen"})
			_, sub := xray.BeginSubsegment(ctx, "orders-db")
			sub.Namespace = "remote"
			sub.GetSQL().SanitizedQuery = "SELECT * FROM orders WHERE id = ?"
			sub.GetSQL().DatabaseType = "PostgreSQL"
			sub.GetSQL().URL = "postgres://db.local:5432/shop"
			time.Sleep(2 * time.Millisecond)
			sub.Close(nil)
			return nil
		})
		return map[string]any{"statusCode": 200, "body": "go traced"}, err
	case strings.HasSuffix(path, "/otel"):
		return otelSpans(ctx)
	case strings.HasSuffix(path, "/call"):
		return invokeOther(ctx)
	}
	return map[string]any{"statusCode": 404, "body": "no such path " + path}, nil
}

var tp *sdktrace.TracerProvider

// otelSpans records a server span under Lambda's facade (the X-Ray
// header's Root and Parent, as the X-Ray propagator reads them) with an
// AWS SDK call and a failing HTTP call, and flushes them over OTLP/HTTP
// to OTEL_EXPORTER_OTLP_ENDPOINT before returning.
func otelSpans(ctx context.Context) (map[string]any, error) {
	hdr, _ := ctx.Value("x-amzn-trace-id").(string)
	var root, parent string
	for _, p := range strings.Split(hdr, ";") {
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "Root":
			root = strings.ReplaceAll(strings.TrimPrefix(v, "1-"), "-", "")
		case "Parent":
			parent = v
		}
	}
	var tid oteltrace.TraceID
	var sid oteltrace.SpanID
	hex.Decode(tid[:], []byte(root))
	hex.Decode(sid[:], []byte(parent))
	ctx = oteltrace.ContextWithRemoteSpanContext(ctx, oteltrace.NewSpanContext(oteltrace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: oteltrace.FlagsSampled, Remote: true}))
	tr := tp.Tracer("gofn")
	ctx, span := tr.Start(ctx, "handle-otel", oteltrace.WithSpanKind(oteltrace.SpanKindServer))
	_, ddb := tr.Start(ctx, "DynamoDB.Query", oteltrace.WithSpanKind(oteltrace.SpanKindClient), oteltrace.WithAttributes(
		attribute.String("rpc.system", "aws-api"), attribute.String("rpc.service", "DynamoDB"), attribute.String("rpc.method", "Query")))
	time.Sleep(time.Millisecond)
	ddb.End()
	_, web := tr.Start(ctx, "GET", oteltrace.WithSpanKind(oteltrace.SpanKindClient), oteltrace.WithAttributes(
		attribute.String("http.request.method", "GET"), attribute.String("url.full", "https://inventory.example/stock/7"),
		attribute.Int("http.response.status_code", 503)))
	web.RecordError(errors.New("inventory unavailable"))
	web.SetStatus(codes.Error, "503")
	web.End()
	span.End()
	if err := tp.ForceFlush(ctx); err != nil {
		return nil, err
	}
	return map[string]any{"statusCode": 200, "body": "otel traced"}, nil
}

// invokeOther calls GoTraced through the Lambda API at LAMBDA_ENDPOINT,
// with the X-Ray instrumented SDK, which sends the trace header.
func invokeOther(ctx context.Context) (map[string]any, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion("us-east-1"),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	if err != nil {
		return nil, err
	}
	awsv2.AWSV2Instrumentor(&cfg.APIOptions)
	client := awslambda.NewFromConfig(cfg, func(o *awslambda.Options) { o.BaseEndpoint = aws.String(os.Getenv("LAMBDA_ENDPOINT")) })
	out, err := client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("GoTraced"), Payload: []byte(`{"path":"/go"}`)})
	if err != nil {
		return nil, err
	}
	return map[string]any{"statusCode": 200, "body": "called: " + string(out.Payload)}, nil
}

func main() {
	exp, err := otlptracehttp.New(context.Background()) // OTEL_EXPORTER_OTLP_ENDPOINT, as gatescope sets it
	if err != nil {
		panic(err)
	}
	res := sdkresource.NewSchemaless(semconv.ServiceName(os.Getenv("AWS_LAMBDA_FUNCTION_NAME")))
	tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(res))
	lambda.Start(handle)
}
