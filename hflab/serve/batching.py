"""Dynamic batching: the cheapest cut of a batch into forward passes, the rate limit's token bucket, and the
batcher that gathers concurrent jobs for the one model thread."""
from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from .errors import RequestError

if TYPE_CHECKING:  # the engines import plan_forward_passes from here
    from .app import _State
    from .engines.base import Job

logger = logging.getLogger("hflab.serve")


def plan_forward_passes(lengths: list[int], max_batch: int, max_tokens: int, call_cost: float) -> list[tuple[int, int]]:
    """Cut `lengths` (sorted, shortest first) into runs ``[lo, hi)`` of at most `max_batch` texts and
    `max_tokens` padded tokens that minimise the compute: each run costs `call_cost` + its padded tokens
    (``count x longest``). Dynamic programming over the cut points (a batch is at most a few dozen texts).
    ``call_cost=0`` pads nothing (equal lengths share a pass); a huge `call_cost` gives the fewest passes.
    Used in: ``hflab serve`` (dynamic batching of the encoder tasks), 11_inference_api.
    """
    n = len(lengths)
    best = [0.0] + [math.inf] * n  # best[j]: the cheapest plan for the first j texts
    cut = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            size, padded = j - i, (j - i) * lengths[j - 1]
            if size > max_batch or (padded > max_tokens and size > 1):
                break
            cost = best[i] + call_cost + padded
            if cost <= best[j]:  # ties: the longer run (fewer passes)
                best[j], cut[j] = cost, i
    runs, j = [], n
    while j > 0:
        runs.append((cut[j], j))
        j = cut[j]
    return runs[::-1]


class TokenBucket:
    """``rate`` tokens per second, at most ``capacity`` saved up. ``take()`` -> (allowed, seconds to wait)."""

    def __init__(self, rate: float, capacity: float | None = None):
        self.rate = float(rate)
        self.capacity = float(capacity if capacity is not None else max(1.0, rate))
        self.tokens = self.capacity
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def take(self, n: float = 1.0) -> tuple[bool, float]:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= n:
                self.tokens -= n
                return True, 0.0
            return False, (n - self.tokens) / self.rate


class Batcher:
    """Gathers concurrent jobs for up to ``max_wait_ms`` and runs them as one batch in the model thread."""

    def __init__(self, state: "_State"):
        self.state = state
        self.pending: collections.deque[Job] = collections.deque()
        self.wakeup: asyncio.Event | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hflab-serve-model")
        self.task: asyncio.Task | None = None
        self.running: list[Job] = []

    def start(self) -> None:
        self.wakeup = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        for job in list(self.pending) + list(self.running):
            job.cancelled = True
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task
        for job in self.pending:
            if job.future is not None and not job.future.done():
                job.future.set_exception(RequestError(503, "서버가 멈추는 중입니다.", "server shutting down"))
        self.pending.clear()
        self.executor.shutdown(wait=False, cancel_futures=True)

    def submit(self, job: Job) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        job.loop = loop
        job.future = loop.create_future()
        self.pending.append(job)
        self.wakeup.set()
        return job.future

    async def _next(self, timeout: float | None) -> Job | None:
        """The next job that was not cancelled, waiting up to `timeout` seconds (None = forever)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            while self.pending:
                job = self.pending[0]
                if job.cancelled or (job.future is not None and job.future.done()):
                    self.pending.popleft()
                    continue
                return job
            self.wakeup.clear()
            if deadline is None:
                await self.wakeup.wait()
            else:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                try:
                    await asyncio.wait_for(self.wakeup.wait(), left)
                except asyncio.TimeoutError:
                    return None

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                first = await self._next(None)
                self.pending.popleft()
                if first.stream:
                    await self._run_stream(first, loop)
                    continue
                batch, size = [first], first.size
                max_batch = max(1, int(self.state.max_batch_size))
                # everything already queued, plus what arrives within max_wait_ms
                t_end = time.monotonic() + (self.state.max_wait_ms / 1000.0 if max_batch > 1 else 0.0)
                while size < max_batch:
                    nxt = await self._next(max(0.0, t_end - time.monotonic()))
                    if nxt is None or nxt.stream or size + nxt.size > max_batch and size > 0:
                        break
                    self.pending.popleft()
                    batch.append(nxt)
                    size += nxt.size
                await self._run_batch(batch, loop, max_batch)
            except asyncio.CancelledError:
                raise
            except Exception:  # pragma: no cover - never let the worker die
                logger.exception("hflab serve: batch worker error")

    async def _run_batch(self, batch: list[Job], loop, max_batch: int) -> None:
        groups: dict[Any, list[Job]] = {}
        for job in batch:
            key = job.group if job.group is not None else id(job)
            groups.setdefault(key, []).append(job)
        for jobs in groups.values():
            self.running = jobs
            t0 = time.perf_counter()
            try:
                results = await loop.run_in_executor(self.executor, self.state.engine.run, jobs, max_batch)
            except Exception as e:  # a model error is a 500 for these requests, not a dead server
                logger.warning("hflab serve: model error %s: %s", type(e).__name__, e)
                err = RequestError(500, f"모델 실행 중 오류가 났습니다: {type(e).__name__}",
                                   f"model error: {type(e).__name__}: {str(e)[:200]}")
                results = [err] * len(jobs)
            finally:
                self.running = []
            self.state.record_batch(sum(j.size for j in jobs), time.perf_counter() - t0)
            for job, res in zip(jobs, results):
                if job.future is not None and not job.future.done():
                    if isinstance(res, BaseException):
                        job.future.set_exception(res)
                    else:
                        job.future.set_result(res)

    async def _run_stream(self, job: Job, loop) -> None:
        def emit(token: dict) -> None:
            loop.call_soon_threadsafe(job.events.put_nowait, ("token", token))

        self.running = [job]
        t0 = time.perf_counter()
        try:
            result = await loop.run_in_executor(self.executor, self.state.engine.run_stream, job, emit)
            if result.get("finish") == "cancelled":
                with self.state.lock:
                    self.state.cancelled += 1
            job.events.put_nowait(("end", result))
        except Exception as e:
            logger.warning("hflab serve: stream error %s: %s", type(e).__name__, e)
            job.events.put_nowait(("error", f"model error: {type(e).__name__}: {str(e)[:200]}"))
        finally:
            self.running = []
            self.state.record_batch(1, time.perf_counter() - t0)
            if job.future is not None and not job.future.done():
                job.future.set_result(None)
