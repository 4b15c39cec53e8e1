// Command restnoop is the benchmark function for REST routes: it does no
// work and answers in the REST proxy shape (statusCode and body only).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(context.Context, events.APIGatewayProxyRequest) (map[string]any, error) {
	return map[string]any{"statusCode": 200, "body": "ok"}, nil
}

func main() { lambda.Start(handle) }
