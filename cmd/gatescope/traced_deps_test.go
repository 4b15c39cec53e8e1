package main

// The instrumented test functions (testdata/traced) are built inside this
// module, so the module must require what they import: these imports keep
// go.mod and go.sum holding the X-Ray and OpenTelemetry SDKs for tests
// only. None of it is in the gatescope binary.
import (
	_ "github.com/aws/aws-xray-sdk-go/instrumentation/awsv2"
	_ "github.com/aws/aws-xray-sdk-go/xray"
	_ "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	_ "go.opentelemetry.io/otel/sdk/resource"
	_ "go.opentelemetry.io/otel/sdk/trace"
	_ "go.opentelemetry.io/otel/semconv/v1.26.0"
)
