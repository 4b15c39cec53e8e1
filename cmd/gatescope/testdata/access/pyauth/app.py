"""A REQUEST authorizer: X-User ada is allowed everywhere, anyone else is
denied; the tenant query parameter goes on in the context."""


def handler(event, context):
    user = (event.get("headers") or {}).get("X-User", "")
    tenant = (event.get("queryStringParameters") or {}).get("tenant", "")
    effect = "Allow" if user == "ada" else "Deny"
    return {
        "principalId": user or "nobody",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}],
        },
        "context": {"tenant": tenant, "python": True},
    }
