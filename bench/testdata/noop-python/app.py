# The benchmark handler in Python: no work, so a round trip through it
# measures gatescope and its runtime client.
def handler(event, context):
    return {"statusCode": 200, "body": "ok"}
