// Command fn is the Go function of the health test: gatescope must build it
// before it reports ready.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (string, error) {
		return "hello from go " + ev.RawPath, nil
	})
}
