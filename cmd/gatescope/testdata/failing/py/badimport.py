# BadImport imports a module that is not installed: the function cannot start.
import gatescope_no_such_module  # noqa: F401


def handler(event, context):
    return {"statusCode": 200}
