// Command echo is the gateway tests' function, built with aws-lambda-go: it
// answers with the event it received, or misbehaves on request.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, raw json.RawMessage) (any, error) {
	var ev struct {
		RawPath string `json:"rawPath"`
		Path    string `json:"path"`
	}
	json.Unmarshal(raw, &ev)
	p := ev.RawPath + ev.Path
	switch {
	case strings.HasSuffix(p, "/error"):
		return nil, errors.New("something broke")
	case strings.HasSuffix(p, "/malformed"):
		return map[string]any{"statusCode": "abc"}, nil
	case strings.HasSuffix(p, "/sleep"):
		time.Sleep(3 * time.Second)
	case strings.HasSuffix(p, "/crash"):
		os.Exit(3)
	case strings.HasSuffix(p, "/binary"):
		return map[string]any{"statusCode": 200, "headers": map[string]string{"content-type": "image/png"},
			"body": base64.StdEncoding.EncodeToString([]byte{0x89, 'P', 'N', 'G', 0, 1, 2}), "isBase64Encoded": true}, nil
	case strings.HasSuffix(p, "/cookies"):
		return map[string]any{"statusCode": 201, "cookies": []string{"a=1", "b=2; Path=/"}, "body": "ok"}, nil
	case strings.HasSuffix(p, "/plain"):
		return "just a string", nil
	}
	return map[string]any{"statusCode": 200, "headers": map[string]string{"content-type": "application/json"}, "body": string(raw)}, nil
}

func main() { lambda.Start(handle) }
