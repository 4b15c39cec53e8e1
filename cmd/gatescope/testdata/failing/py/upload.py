# Upload returns its body as an object, not a JSON string: a REST API
# answers 502 and blames the body.
def handler(event, context):
    return {"statusCode": 200, "body": {"stored": len(event.get("body") or "")}}
