"""The demo's Python function behind a REST API: ANY /stats/{proxy+}."""
import json


def handler(event, context):
    print("stats for", event["pathParameters"]["proxy"])
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"path": event["path"], "query": event["queryStringParameters"], "requestId": context.aws_request_id}),
    }
