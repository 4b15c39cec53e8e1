import logging
import os


def lambda_handler(event, context):
    return {"event": event, "ok": True}


def fail(event, context):
    raise ValueError("bad value")


def none(event, context):
    return None


def unserializable(event, context):
    return {1, 2}


def ctx(event, context):
    cc = context.client_context
    return {
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining_positive": context.get_remaining_time_in_millis() > 0,
        "client_custom": cc.custom if cc else None,
        "client_app_title": cc.client.app_title if cc and cc.client else None,
        "cognito_identity_id": context.identity.cognito_identity_id,
        "trace_id": os.environ.get("_X_AMZN_TRACE_ID"),
    }


def log(event, context):
    print("plain print")
    logging.getLogger().warning("warned %s", "here")
    return "logged"
