"""One submission's kernel: run its cells one by one, each under a time limit, and talk to it.

nbclient (not papermill): grading goes on after a student's error, gives every cell its own
limit, and runs hidden requests (take the answer values, call the learner's function) that
do not become cells, outputs or execution counts of the notebook.

nbclient's async API on one event loop per submission, closed the way `asyncio.run` closes
its loop: nbclient leaves a cell's output-polling task pending when the cell times out, and
closing the loop cancels it. (The sync API ran every call on its thread's loop, which was
never closed, and Python printed "Task was destroyed but it is pending!" at exit.)

Used in: hflab.grading.grader.
"""
from __future__ import annotations

import asyncio
import itertools
import pickle
import signal
import subprocess
import threading
from pathlib import Path

import nbformat

from .sandbox import Submission, Workspace
from .transport import RemoteError, TransportError, read_payload

_HELPER = "__import__('hflab.grading._kernel', fromlist=['capture'])"


class _Loop:
    """One event loop for a submission, closed as `asyncio.run` closes its loop: pending tasks are cancelled.

    Not asyncio.Runner: its SIGINT handler cancels the running task, which nbclient turns into
    DeadKernelError, so Ctrl-C would grade on instead of stopping the grader.
    """

    #: nbclient's background pollers: when a cell is cut off they end with queue.Empty that nbclient
    #: itself never awaits, and asyncio reports "Task exception was never retrieved" at exit.
    _ABANDONED = ("_async_poll_output_msg", "_async_poll_kernel_alive")

    def __init__(self):
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(self._report)

    @classmethod
    def _report(cls, loop, context) -> None:
        task = context.get("future") or context.get("task")
        coro = getattr(task, "get_coro", lambda: None)()
        if getattr(coro, "__name__", "") in cls._ABANDONED:
            return
        loop.default_exception_handler(context)

    def run(self, coro):
        return self._loop.run_until_complete(coro)

    def close(self) -> None:
        loop = self._loop
        try:
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:  # gather() of nothing would belong to another loop
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()


class KernelSession:
    """A started kernel for one submission (use as a context manager)."""

    def __init__(self, nb, workspace: Workspace, submission: Submission, startup_timeout: float = 120):
        from nbclient import NotebookClient

        self.sub = submission
        self.client = NotebookClient(
            nb, km=workspace.kernel_manager(submission), allow_errors=True, interrupt_on_timeout=False,
            startup_timeout=int(startup_timeout), shutdown_kernel="immediate",
            resources={"metadata": {"path": str(submission.dir)}},
        )
        self.client.owns_km = True  # so leaving async_setup_kernel shuts the kernel down
        self._runner: _Loop | None = None
        self._ctx = None
        self._n = itertools.count(1)
        self.call_timeout = 60.0

    async def _setup(self) -> None:
        # nbclient hooks SIGINT/SIGTERM on the main thread's loop (to shut the kernel down); the grader
        # keeps its own handlers, so Ctrl-C stops `hflab grade` as before
        main = threading.current_thread() is threading.main_thread()
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)} if main else {}
        # the kernel's own stdout/stderr (transport warnings, C-level noise) are not the student's output
        ctx = self.client.async_setup_kernel(env=self.sub.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            await ctx.__aenter__()
            self._ctx = ctx
        finally:
            loop = asyncio.get_running_loop()
            for sig, handler in saved.items():
                loop.remove_signal_handler(sig)
                signal.signal(sig, handler)

    def __enter__(self) -> "KernelSession":
        self._runner = _Loop()
        try:
            self._runner.run(self._setup())
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._close()

    def _close(self) -> None:
        try:
            if self._ctx is not None:
                self._runner.run(self._ctx.__aexit__(None, None, None))
        except Exception:  # a kernel that is already gone
            pass
        finally:
            self._ctx = None
            self._runner.close()  # cancels what nbclient left pending (a timed-out cell's output polling)

    def run(self, cell, index: int, timeout: float, store_history: bool = True) -> bool:
        """Execute one cell; False when it ran past `timeout` (the kernel is then interrupted)."""
        from nbclient.exceptions import CellTimeoutError

        self.client.timeout = max(1, int(round(timeout)))
        try:
            self._runner.run(self.client.async_execute_cell(cell, index, store_history=store_history))
        except CellTimeoutError:
            return False
        return True

    def recover(self, timeout: float = 15) -> bool:
        """Interrupt a cell that ran too long; True when the kernel answers again."""
        try:
            self._runner.run(self.client.km.interrupt_kernel())
            return self.run(nbformat.v4.new_code_cell("pass"), 0, timeout, store_history=False)
        except Exception:
            return False

    def _hidden(self, code: str, timeout: float) -> None:
        cell = nbformat.v4.new_code_cell(code)
        if not self.run(cell, 0, timeout, store_history=False):
            self.recover()
            raise TransportError(f"답을 가져오는 데 {timeout:g}초를 넘겼어요.")

    def forget(self, names: list[str], timeout: float = 30) -> None:
        """Delete the answer variables in the kernel (before their exercise cell runs)."""
        if names:
            self._hidden(f"{_HELPER}.forget({list(names)!r}, globals())", timeout)

    def capture(self, exprs: dict[str, str], timeout: float) -> tuple[dict, Path]:
        """Evaluate `exprs` in the kernel; the raw payload and the folder of its saved files."""
        folder = self.sub.capture / f"c{next(self._n)}"
        folder.mkdir()
        out = folder / "payload.json"
        self._hidden(f"{_HELPER}.capture({exprs!r}, {str(out)!r}, globals())", timeout)
        return read_payload(out), folder

    def remote_call(self, ref: int, args: tuple, kwargs: dict) -> tuple[object, Path]:
        """Call the learner's function `ref` in the kernel; its encoded result and the folder of its files."""
        folder = self.sub.capture / f"r{next(self._n)}"
        folder.mkdir()
        (folder / "args.pkl").write_bytes(pickle.dumps((args, kwargs)))
        out = folder / "payload.json"
        try:
            self._hidden(f"{_HELPER}.call({int(ref)}, {str(folder / 'args.pkl')!r}, {str(out)!r})", self.call_timeout)
        except TransportError as e:
            raise RemoteError(f"함수를 부르는 데 시간 제한을 넘겼어요 ({e}).") from None
        result = read_payload(out).get("result")
        if not isinstance(result, dict):
            raise RemoteError("함수의 결과를 받지 못했어요.")
        if "value" not in result:
            raise RemoteError(str(result.get("error") or result.get("unsupported") or "함수 호출 실패")[:300])
        return result["value"], folder
