"""gatescope's Python runtime client (Python 3.8+, standard library only).

It mirrors awslambdaric, the client the managed python runtimes run, closely
enough that a function behaves the same locally and deployed: handler import
("pkg.mod.fn"), the context object, the error JSON and the logging format.

Launched as `python3 <dir>/bootstrap.py` with cwd = LAMBDA_TASK_ROOT.
"""

import decimal
import importlib
import json
import logging
import os
import socket
import sys
import time
import traceback

RUNTIME = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"

_request_id = ""


class FaultException(Exception):
    def __init__(self, exception_type, msg, trace=None):
        super().__init__(msg)
        self.exception_type = exception_type
        self.msg = msg
        self.trace = trace


# ---- output and logging ----


class Unbuffered:
    """Flushes every write, so output reaches gatescope as it happens."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, msg):
        self.stream.write(msg)
        self.stream.flush()

    def writelines(self, msgs):
        self.stream.writelines(msgs)
        self.stream.flush()

    def __getattr__(self, attr):
        return getattr(self.stream, attr)


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _request_id
        return True


class _StdoutHandler(logging.Handler):
    # Resolves sys.stdout at emit time so it follows the Unbuffered wrapper.
    def emit(self, record):
        try:
            sys.stdout.write(self.format(record))
        except Exception:
            self.handleError(record)


def setup_logging():
    # The root logger gets a handler up front, as in Lambda; this is also why
    # logging.basicConfig() is a no-op there.
    handler = _StdoutHandler()
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter())
    logging.getLogger().addHandler(handler)


def log_error(error):
    lines = ["[ERROR] {}: {}".format(error["errorType"], error["errorMessage"])]
    if error.get("stackTrace"):
        lines.append("Traceback (most recent call last):")
        for element in error["stackTrace"]:
            lines.extend(element.splitlines())
    sys.stdout.write("\n".join(lines) + "\n")


# ---- errors ----


def make_error(message, error_type, stack_trace, invoke_id=None):
    return {
        "errorMessage": message if message else "",
        "errorType": error_type if error_type else "Exception",
        "requestId": invoke_id if invoke_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def build_fault_result(exc_info, invoke_id=None):
    etype, value, tb = exc_info
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    # Drop this file's own frames, so the trace starts in user code.
    for i, frame in enumerate(frames):
        if not frame[0].endswith("/bootstrap.py"):
            frames = frames[i:]
            break
    return make_error(str(value), etype.__name__, traceback.format_list(frames), invoke_id)


# ---- handler ----


def get_handler(handler):
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultException("Runtime.MalformedHandlerName", "Bad handler '{}': {}".format(handler, e))
    modname = modname.replace("/", ".")
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultException(
                "Runtime.BuiltInModuleConflict",
                "Cannot use built-in module {} as a handler module".format(modname),
            )
        module = importlib.import_module(modname)
    except ImportError as e:
        raise FaultException(
            "Runtime.ImportModuleError", "Unable to import module '{}': {}".format(modname, e)
        )
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise FaultException(
            "Runtime.UserCodeSyntaxError", "Syntax error in module '{}': {}".format(modname, e), trace
        )
    try:
        return getattr(module, fname)
    except AttributeError:
        raise FaultException(
            "Runtime.HandlerNotFound", "Handler '{}' missing on module '{}'".format(fname, modname)
        )


# ---- context ----


class CognitoIdentity:
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]


class Client:
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]


class ClientContext:
    __slots__ = ["custom", "env", "client"]


def make_obj_from_dict(cls, d):
    if d is None:
        return None
    obj = cls()
    for field in cls.__slots__:
        setattr(obj, field, d.get(field))
    return obj


class LambdaContext:
    def __init__(self, invoke_id, client_context, cognito_identity, deadline_ms, invoked_function_arn):
        self.aws_request_id = invoke_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.client_context = make_obj_from_dict(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = make_obj_from_dict(Client, self.client_context.client)
        self.identity = make_obj_from_dict(CognitoIdentity, {})
        if cognito_identity is not None:
            self.identity.cognito_identity_id = cognito_identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito_identity.get("cognitoIdentityPoolId")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(round(time.time() * 1000)), 0)

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id={},log_group_name={},log_stream_name={},function_name={},"
            "memory_limit_in_mb={},function_version={},invoked_function_arn={},client_context={},identity={}])"
        ).format(
            self.aws_request_id, self.log_group_name, self.log_stream_name, self.function_name,
            self.memory_limit_in_mb, self.function_version, self.invoked_function_arn,
            self.client_context, self.identity,
        )


# ---- Runtime API client ----


class RuntimeClient:
    """One keep-alive connection to gatescope's Runtime API, one request at
    a time, answers read by hand (gatescope's Runtime API sends
    Content-Length; chunked answers are read too). http.client parses every
    answer's headers with the email package, which cost more CPU per invoke
    than the rest of this loop."""

    def __init__(self, address):
        self.address = address
        host, _, port = address.rpartition(":")
        self.host, self.port = host.strip("[]"), int(port)
        self.sock = None
        self.rfile = None

    def close(self):
        if self.rfile is not None:
            self.rfile.close()
        if self.sock is not None:
            self.sock.close()
        self.sock = self.rfile = None

    def request(self, method, path, body=None, headers=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        head = "{} {} HTTP/1.1\r\nHost: {}\r\n".format(method, path, self.address)
        for k, v in (headers or {}).items():
            head += "{}: {}\r\n".format(k, v)
        if body is not None:
            head += "Content-Length: {}\r\n".format(len(body))
        data = head.encode("latin-1") + b"\r\n" + (body or b"")
        # Reconnect once if gatescope closed the connection.
        for attempt in (0, 1):
            try:
                if self.sock is None:
                    self.sock = socket.create_connection((self.host, self.port))
                    self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    self.rfile = self.sock.makefile("rb")
                self.sock.sendall(data)
                status, headers, payload, close = self.answer()
            except (OSError, ValueError):
                self.close()
                if attempt == 1:
                    raise
                continue
            if close:
                self.close()
            return status, headers, payload

    def answer(self):
        r = self.rfile
        line = r.readline(65537)
        if not line:
            raise ConnectionError("connection closed by the Runtime API")
        status = int(line.split(None, 2)[1])
        headers = []
        while True:
            line = r.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers.append((k.strip(), v.strip()))
        named = {k.lower(): v for k, v in headers}
        if named.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(r.readline(65537).split(b";")[0], 16)
                if size == 0:
                    while r.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                parts.append(r.read(size))
                r.readline(65537)
            payload = b"".join(parts)
        else:
            n = int(named.get("content-length") or 0)
            payload = r.read(n)
            if len(payload) < n:
                raise ConnectionError("connection closed by the Runtime API within an answer")
        return status, headers, payload, named.get("connection", "").lower() == "close"

    def next(self):
        status, headers, body = self.request("GET", RUNTIME + "/invocation/next")
        if status != 200:
            raise RuntimeError("GET /invocation/next: {} {}".format(status, body[:200]))
        return {k.lower(): v for k, v in headers}, body

    def post(self, path, body, headers):
        status, _, data = self.request("POST", path, body, headers)
        if status >= 300:
            sys.stderr.write("gatescope bootstrap: POST {}: {} {}\n".format(path, status, data[:200]))

    def post_response(self, invoke_id, body, content_type):
        self.post(RUNTIME + "/invocation/{}/response".format(invoke_id), body, {"Content-Type": content_type})

    def post_error(self, path, error):
        body = json.dumps(error).encode("utf-8")
        self.post(path, body, {"Content-Type": "application/json", ERROR_TYPE_HEADER: error["errorType"]})


def _decimal(o):
    if isinstance(o, decimal.Decimal):
        return float(o)
    raise TypeError(repr(o) + " is not JSON serializable")


def marshal_response(result):
    if isinstance(result, bytes):
        return result, "application/unknown"
    try:
        return json.dumps(result, default=_decimal, ensure_ascii=False).encode("utf-8"), "application/json"
    except (TypeError, ValueError) as e:
        raise FaultException("Runtime.MarshalError", "Unable to marshal response: {}".format(e))


def handle(client, handler, headers, body):
    global _request_id
    invoke_id = headers.get("lambda-runtime-aws-request-id", "")
    _request_id = invoke_id
    trace_id = headers.get("lambda-runtime-trace-id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    try:
        try:
            client_context = json.loads(headers["lambda-runtime-client-context"]) if headers.get("lambda-runtime-client-context") else None
            identity = json.loads(headers["lambda-runtime-cognito-identity"]) if headers.get("lambda-runtime-cognito-identity") else None
            event = json.loads(body)
        except ValueError as e:
            raise FaultException("Runtime.UnmarshalError", "Unable to unmarshal input: {}".format(e))
        context = LambdaContext(
            invoke_id, client_context, identity,
            int(headers.get("lambda-runtime-deadline-ms") or 0),
            headers.get("lambda-runtime-invoked-function-arn"),
        )
        payload, content_type = marshal_response(handler(event, context))
    except FaultException as e:
        error = make_error(e.msg, e.exception_type, e.trace, invoke_id)
    except Exception:
        error = build_fault_result(sys.exc_info(), invoke_id)
    else:
        client.post_response(invoke_id, payload, content_type)
        return
    log_error(error)
    client.post_error(RUNTIME + "/invocation/{}/error".format(invoke_id), error)


def main():
    sys.stdout = Unbuffered(sys.stdout)
    sys.stderr = Unbuffered(sys.stderr)
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        sys.stderr.write("gatescope bootstrap: AWS_LAMBDA_RUNTIME_API is not set\n")
        sys.exit(1)
    # User code comes first on sys.path; this script's own directory (the
    # first entry when run as a file) must not shadow user modules.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path = [p for p in sys.path if os.path.abspath(p or ".") != here]
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    sys.path.insert(0, task_root)
    setup_logging()

    client = RuntimeClient(address)
    error = None
    try:
        handler = get_handler(os.environ.get("_HANDLER", ""))
    except FaultException as e:
        error = make_error(e.msg, e.exception_type, e.trace)
    except Exception:
        error = build_fault_result(sys.exc_info())
    if error is not None:
        log_error(error)
        client.post_error(RUNTIME + "/init/error", error)
        sys.exit(1)

    while True:
        headers, body = client.next()
        handle(client, handler, headers, body)


if __name__ == "__main__":
    main()
