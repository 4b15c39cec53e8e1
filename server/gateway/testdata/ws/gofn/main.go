// Command gofn is the WebSocket tests' Go function, built with aws-lambda-go:
// it accepts or refuses $connect as the query asks, echoes on two-way
// routes, fails on request, and broadcasts through the @connections API
// with aws-sdk-go-v2's ApiGatewayManagementApi client, its endpoint built
// from the event as AWS's samples build it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
)

func handle(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (any, error) {
	rc := ev.RequestContext
	switch rc.RouteKey {
	case "$connect":
		q := ev.QueryStringParameters
		switch {
		case q["reject"] != "":
			return events.APIGatewayProxyResponse{StatusCode: 403, Body: "go away"}, nil
		case q["crash"] != "":
			return nil, errors.New("cannot connect")
		case q["proto"] != "":
			return events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"Sec-WebSocket-Protocol": q["proto"]}}, nil
		}
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	case "$disconnect":
		fmt.Printf("disconnected %s: %v\n", rc.ConnectionID, ev.RequestContext)
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	case "fail":
		return nil, errors.New("the message failed")
	case "slow":
		time.Sleep(2 * time.Second)
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: "too late"}, nil
	case "broadcast":
		return broadcast(ctx, ev)
	}
	// echo, fire and $default answer with what they saw; only two-way
	// routes send it back.
	out, _ := json.Marshal(map[string]string{"route": rc.RouteKey, "body": ev.Body, "connectionId": rc.ConnectionID,
		"messageId": fmt.Sprint(rc.MessageID), "domainName": rc.DomainName, "stage": rc.Stage})
	return events.APIGatewayProxyResponse{StatusCode: 200, Body: string(out)}, nil
}

// broadcast posts {"data"} to each connection of {"to"}, and reports each
// one's answer.
func broadcast(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (any, error) {
	var msg struct {
		To   []string `json:"to"`
		Data string   `json:"data"`
	}
	if err := json.Unmarshal([]byte(ev.Body), &msg); err != nil {
		return nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	endpoint := "https://" + ev.RequestContext.DomainName + "/" + ev.RequestContext.Stage
	client := apigatewaymanagementapi.NewFromConfig(cfg, func(o *apigatewaymanagementapi.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
	results := map[string]string{}
	for _, id := range msg.To {
		_, err := client.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(id), Data: []byte(msg.Data)})
		results[id] = "ok"
		if err != nil {
			results[id] = err.Error()
		}
	}
	out, _ := json.Marshal(results)
	return events.APIGatewayProxyResponse{StatusCode: 200, Body: string(out)}, nil
}

func main() { lambda.Start(handle) }
