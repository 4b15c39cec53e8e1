// Command gofn is the Go function of the mapping tests: it fails with the
// message its payload names, else answers with the payload it got.
package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, ev map[string]any) (any, error) {
	if msg, _ := ev["fail"].(string); msg != "" {
		return nil, errors.New(msg)
	}
	return map[string]any{"runtime": "go", "echo": json.RawMessage(mustJSON(ev))}, nil
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func main() { lambda.Start(handle) }
