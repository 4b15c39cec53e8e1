"""The WebSocket tests' Python function: it broadcasts through the
@connections API with boto3, as AWS's samples do (endpoint_url
https://<domainName>/<stage>, GoneException for closed ones)."""
import json

import boto3


def handler(event, context):
    ctx = event["requestContext"]
    client = boto3.client("apigatewaymanagementapi", endpoint_url=f"https://{ctx['domainName']}/{ctx['stage']}")
    body = json.loads(event["body"])
    results = {}
    for cid in body["to"]:
        try:
            client.post_to_connection(ConnectionId=cid, Data=body["data"].encode())
            results[cid] = "ok"
        except client.exceptions.GoneException:
            results[cid] = "GoneException"
    if body.get("close"):
        client.delete_connection(ConnectionId=body["close"])
        results["closed"] = body["close"]
    return {"statusCode": 200, "body": json.dumps(results)}
