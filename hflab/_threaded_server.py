"""A uvicorn server in a daemon thread, on a socket bound first (port 0 = any free port).

The two local servers of the course share this plumbing: the practice hub (lessons 01, 10, 12,
:mod:`hflab.practice_hub`) and the inference endpoint (lesson 11, :mod:`hflab.serve`). Each wraps
the plain errors raised here (``OSError``, ``RuntimeError``) in its own Korean message.
"""
from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time

logger = logging.getLogger("hflab")


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host`:`port` (``OSError`` when the port is taken)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def run_in_thread(server, sock: socket.socket, name: str, timeout: float) -> threading.Thread:
    """Run the uvicorn `server` on `sock` in a daemon thread; returns once it accepts connections.

    Raises ``RuntimeError`` when the thread dies or `timeout` seconds pass before it has started.
    """
    def run() -> None:
        try:
            server.run(sockets=[sock])
        except Exception as e:  # pragma: no cover - the caller reports the failure
            logger.warning("%s stopped: %s", name, type(e).__name__)
        finally:
            with contextlib.suppress(OSError):
                sock.close()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.01)
    return thread


def stop(server, thread: threading.Thread | None, timeout: float) -> None:
    """Ask `server` to exit, wait for its `thread`, and drop huggingface_hub's keep-alive connections to it."""
    if server is not None:
        server.should_exit = True
    if thread is not None:
        thread.join(timeout)
    with contextlib.suppress(Exception):
        from huggingface_hub.utils import close_session

        close_session()
