"""One benchmark case in a fresh spawned process (its own peak RSS, its own JAX devices and core
mask); an exception, a crash (XLA aborting, the OOM killer) or a timeout becomes an error entry
and the benchmark goes on. (``benchmarks.coba.run_isolated`` uses a Pool, which waits forever for
a worker that died.)"""

from __future__ import annotations

import multiprocessing
import signal
import traceback
from typing import Any, Callable


def _child(connection, function: Callable[[Any], dict], arguments: Any) -> None:
    try:
        connection.send(("ok", function(arguments)))
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which goes on
        connection.send(("error", f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=6)}"))
    finally:
        connection.close()


def run_in_fresh_process(function: Callable[[Any], dict], arguments: Any, error_fields: dict, timeout_s: float | None) -> dict:
    """``function(arguments)`` (a module-level function) in a fresh process; on failure
    ``{**error_fields, "error": why}``."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(send, function, arguments))
    process.start()
    send.close()
    try:
        if receive.poll(timeout_s):
            status, payload = receive.recv()
        else:
            status, payload = "error", f"timed out after {timeout_s} s (--case-timeout)"
            process.terminate()
    except EOFError:
        status, payload = "error", None
    finally:
        receive.close()
    process.join(30)
    if process.is_alive():
        process.kill()
        process.join()
    if payload is None:
        killed = process.exitcode == -signal.SIGKILL
        payload = f"child process died (exit code {process.exitcode}{': SIGKILL, out of memory?' if killed else ''})"
    return payload if status == "ok" else {**error_fields, "error": payload.strip()}
