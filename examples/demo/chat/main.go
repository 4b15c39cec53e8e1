// Command chat is the demo's WebSocket chat, written as AWS's samples write
// one: $connect remembers the connection, sendmessage posts the message to
// every connection through the @connections API (aws-sdk-go-v2's
// ApiGatewayManagementApi client, its endpoint built from the event), a
// closed connection's GoneException forgets it, and $disconnect says who
// left. GET /chat (an HTTP API route) serves a page to chat from.
//
// Connections are remembered in files under the temporary directory, which
// every local environment of the function shares. Deployed, each Lambda
// environment has its own /tmp: keep them in DynamoDB instead, as AWS's
// simple-websockets-chat-app does.
package main

import (
	"context"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
)

//go:embed page.html
var page string

// event holds what both kinds of event this function gets carry: a
// WebSocket API's (routeKey and connectionId in requestContext) and the
// HTTP API's GET /chat.
type event struct {
	events.APIGatewayWebsocketProxyRequest
	RawPath string `json:"rawPath"`
}

func handle(ctx context.Context, ev event) (any, error) {
	rc := ev.RequestContext
	if rc.ConnectionID == "" {
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"content-type": "text/html; charset=utf-8"}, Body: page}, nil
	}
	room := roomDir(rc.APIID, rc.Stage)
	switch rc.RouteKey {
	case "$connect":
		name := strings.TrimSpace(ev.QueryStringParameters["name"])
		if name == "" {
			name = "guest-" + rc.ConnectionID[:4]
		}
		if len(name) > 32 {
			return events.APIGatewayProxyResponse{StatusCode: 400, Body: "name too long"}, nil
		}
		if err := os.MkdirAll(room, 0o755); err != nil {
			return nil, err
		}
		fmt.Printf("%s joined as %s\n", rc.ConnectionID, name)
		return events.APIGatewayProxyResponse{StatusCode: 200}, os.WriteFile(connFile(room, rc.ConnectionID), []byte(name), 0o644)
	case "$disconnect":
		name, _ := os.ReadFile(connFile(room, rc.ConnectionID))
		os.Remove(connFile(room, rc.ConnectionID))
		fmt.Printf("%s left (%v %v)\n", rc.ConnectionID, rc.DisconnectStatusCode, rc.DisconnectReason)
		return events.APIGatewayProxyResponse{StatusCode: 200}, broadcast(ctx, ev, room, map[string]any{"left": string(name)})
	case "sendmessage":
		var msg struct {
			Message string `json:"message"`
		}
		if err := json.Unmarshal([]byte(ev.Body), &msg); err != nil || msg.Message == "" {
			return events.APIGatewayProxyResponse{StatusCode: 400}, nil
		}
		name, _ := os.ReadFile(connFile(room, rc.ConnectionID))
		return events.APIGatewayProxyResponse{StatusCode: 200},
			broadcast(ctx, ev, room, map[string]any{"from": string(name), "message": msg.Message, "at": time.Now().UTC().Format(time.RFC3339)})
	}
	// $default is a two-way route: this body goes back to the sender.
	return events.APIGatewayProxyResponse{StatusCode: 200,
		Body: `{"error":"unknown action: send {\"action\":\"sendmessage\",\"message\":\"...\"}"}`}, nil
}

// broadcast posts v to every connection of the room, forgetting those that
// are gone.
func broadcast(ctx context.Context, ev event, room string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	endpoint := "https://" + ev.RequestContext.DomainName + "/" + ev.RequestContext.Stage
	client := apigatewaymanagementapi.NewFromConfig(cfg, func(o *apigatewaymanagementapi.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
	entries, err := os.ReadDir(room)
	if err != nil {
		return err
	}
	for _, e := range entries {
		id, err := hex.DecodeString(e.Name())
		if err != nil {
			continue
		}
		_, err = client.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(string(id)), Data: data})
		var gone *types.GoneException
		switch {
		case errors.As(err, &gone):
			os.Remove(filepath.Join(room, e.Name()))
		case err != nil:
			return err
		}
	}
	return nil
}

func roomDir(apiID, stage string) string {
	return filepath.Join(os.TempDir(), "gatescope-chat-"+apiID+"-"+stage)
}

// connFile is where a connection's name is kept; connection ids hold
// characters file names should not.
func connFile(room, id string) string { return filepath.Join(room, hex.EncodeToString([]byte(id))) }

func main() { lambda.Start(handle) }
