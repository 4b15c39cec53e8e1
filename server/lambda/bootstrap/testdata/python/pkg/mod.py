def fn(event, context):
    return {"module": __name__, "n": event["n"] * 2}
