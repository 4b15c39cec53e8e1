// Command hello is the demo's Go function: GET /hello/{name} greets, and
// ANY /fail returns a malformed response so the dashboard has a failure to
// explain.
package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, ev events.APIGatewayV2HTTPRequest) (any, error) {
	if ev.RawPath == "/fail" {
		fmt.Println("returning a status code API Gateway will reject")
		return map[string]any{"statusCode": "abc", "body": "oops"}, nil
	}
	name := ev.PathParameters["name"]
	fmt.Printf("greeting %s\n", name)
	return events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"content-type": "application/json"},
		Body:       fmt.Sprintf(`{"message":"hello, %s"}`, name),
	}, nil
}

func main() { lambda.Start(handle) }
