// Command goauth is an HTTP API Lambda authorizer with simple responses:
// X-Token letmein is authorized, anything else is not.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{
			IsAuthorized: ev.Headers["x-token"] == "letmein",
			Context:      map[string]any{"user": "gopher", "level": 3, "source": ev.IdentitySource},
		}, nil
	})
}
