import os


def handler(event, context):
    print("python got", event)
    if event.get("fail"):
        raise ValueError(event["fail"])
    return {"echo": event.get("echo"), "requestId": context.aws_request_id, "fn": os.environ["AWS_LAMBDA_FUNCTION_NAME"]}
