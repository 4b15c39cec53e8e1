import os


def handler(event, context):
    print("python got", event)
    if event.get("fail"):
        raise ValueError(event["fail"])
    return {"echo": event.get("echo"), "requestId": context.aws_request_id, "fn": os.environ["AWS_LAMBDA_FUNCTION_NAME"]}


def spawn(event, context):
    """Starts processes that outlive their parent, as daemons do, writes
    their pids to event["pidfile"], and hangs past the timeout if asked:
    a setsid sleep (another session and process group), a double-forked
    sleep (adopted once its parent exits), and a plain child in the
    function's own process group."""
    import subprocess
    import time

    pids = [subprocess.Popen(["setsid", "sleep", "300"]).pid]
    r, w = os.pipe()
    first = os.fork()
    if first == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(w, str(os.getpid()).encode())
            os.execvp("sleep", ["sleep", "301"])
        os._exit(0)
    os.close(w)
    os.waitpid(first, 0)
    pids.append(int(os.read(r, 32)))
    pids.append(subprocess.Popen(["sleep", "302"]).pid)
    with open(event["pidfile"], "w") as f:
        f.write(" ".join(str(p) for p in pids))
    if event.get("hang"):
        time.sleep(600)
    return {"pids": pids}
