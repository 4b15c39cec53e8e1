# The Python function of the mapping tests: it fails with the message its
# payload names, else answers with the payload it got.
def handler(event, context):
    if event.get("fail"):
        raise Exception(event["fail"])
    return {"runtime": "python", "echo": event}
