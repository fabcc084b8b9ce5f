"""hflab.retry: backoff arithmetic, Retry-After parsing, status classification, the tenacity wait strategy.

Fast unit tests (no server); tests/test_serve.py rides out real 429 / 503 answers from hflab serve.
"""
import email.utils
import random
import time

import pytest

from hflab import retry


class FakeResponse:
    def __init__(self, status, headers=None):
        self.status_code = status
        self.headers = dict(headers or {})


class FakeHTTPError(Exception):
    def __init__(self, status, headers=None):
        super().__init__(f"HTTP {status}")
        self.response = FakeResponse(status, headers)


@pytest.mark.parametrize("attempt,retry_after,expected", [
    (1, None, 0.5), (2, None, 1.0), (3, None, 2.0), (5, None, 8.0), (9, None, 8.0),
    (1, 3.0, 3.0), (4, 3.0, 4.0), (2, 100.0, 100.0), (1, 0.0, 0.5),
])
def test_backoff_wait_without_jitter(attempt, retry_after, expected):
    assert retry.backoff_wait(attempt, retry_after, base=0.5, cap=8.0, jitter=0.0) == pytest.approx(expected)


def test_backoff_wait_jitter_stays_within_bounds_and_is_seeded():
    rng = random.Random(0)
    waits = [retry.backoff_wait(3, 1.0, base=0.5, cap=8, jitter=0.1, rng=rng) for _ in range(200)]
    assert all(2.0 <= w <= 2.2 for w in waits)
    assert len(set(round(w, 6) for w in waits)) > 100
    again = random.Random(0)
    assert retry.backoff_wait(3, 1.0, base=0.5, cap=8, jitter=0.1, rng=again) == waits[0]


@pytest.mark.parametrize("bad", [dict(attempt=0), dict(attempt=1.5), dict(attempt=True), dict(attempt=1, base=-1),
                                 dict(attempt=1, retry_after=-2), dict(attempt=1, cap=float("inf"))])
def test_backoff_wait_bad_arguments_are_korean(bad):
    with pytest.raises(retry.RetryError, match="해결"):
        retry.backoff_wait(**bad)


def test_retry_after_seconds_date_and_missing():
    assert retry.retry_after_of(FakeHTTPError(429, {"Retry-After": "3"})) == 3.0
    assert retry.retry_after_of(FakeHTTPError(429, {"Retry-After": "0.5"})) == 0.5
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    got = retry.retry_after_of(FakeHTTPError(503, {"Retry-After": date}), now=now)
    assert 28 <= got <= 31
    assert retry.retry_after_of(FakeHTTPError(429, {"Retry-After": "soon"})) is None
    assert retry.retry_after_of(FakeHTTPError(429)) is None
    assert retry.retry_after_of(ValueError("no response")) is None
    assert retry.retry_after_of(None) is None


def test_status_and_retry_after_are_found_on_the_cause():
    # InferenceClient.text_generation raises TextGenerationError *from* the HfHubHTTPError
    try:
        try:
            raise FakeHTTPError(429, {"Retry-After": "2"})
        except FakeHTTPError as inner:
            raise RuntimeError("overloaded") from inner
    except RuntimeError as outer:
        assert retry.status_of(outer) == 429
        assert retry.retry_after_of(outer) == 2.0
        assert retry.is_retryable(outer)


@pytest.mark.parametrize("status,action", [
    (200, "ok"), (401, "fix_token"), (403, "request_access"), (404, "fix_model"), (400, "fix_request"),
    (413, "fix_request"), (422, "fix_request"), (429, "retry"), (500, "retry"), (503, "retry"), (504, "retry"),
    (None, "retry"),
])
def test_what_to_do(status, action):
    assert retry.what_to_do(status) == action
    assert action in retry.ACTIONS


def test_what_to_do_rejects_non_integers_in_korean():
    with pytest.raises(retry.RetryError, match="정수"):
        retry.what_to_do("429")


def test_is_retryable():
    from huggingface_hub.errors import OfflineModeIsEnabled

    assert retry.is_retryable(FakeHTTPError(429))
    assert retry.is_retryable(FakeHTTPError(503))
    assert not retry.is_retryable(FakeHTTPError(401))
    assert not retry.is_retryable(FakeHTTPError(404))
    assert retry.is_retryable(TimeoutError())
    assert retry.is_retryable(ConnectionRefusedError())
    assert not retry.is_retryable(OfflineModeIsEnabled("offline"))  # a ConnectionError that retrying cannot fix
    assert not retry.is_retryable(ValueError("bad input"))


class FakeOutcome:
    def __init__(self, exc):
        self._exc = exc

    def exception(self):
        return self._exc


class FakeState:
    def __init__(self, attempt, exc):
        self.attempt_number = attempt
        self.outcome = FakeOutcome(exc)
        self.next_action = None


def test_wait_retry_after_strategy_reads_the_header():
    wait = retry.wait_retry_after(base=0.25, cap=2.0, jitter=0.0)
    assert wait(FakeState(1, FakeHTTPError(429, {"Retry-After": "1"}))) == 1.0
    assert wait(FakeState(4, FakeHTTPError(429, {"Retry-After": "1"}))) == 2.0
    assert wait(FakeState(2, FakeHTTPError(503))) == 0.5


def test_call_with_retry_rides_out_retryable_errors_and_gives_up_on_others(capsys):
    calls = []

    def flaky():
        calls.append(time.perf_counter())
        if len(calls) < 3:
            raise FakeHTTPError(429, {"Retry-After": "0"})
        return "ok"

    assert retry.call_with_retry(flaky, attempts=5, base=0.01, cap=0.05, jitter=0.0) == "ok"
    assert len(calls) == 3
    out = capsys.readouterr().out
    assert "HTTP 429" in out and "Retry-After 0초" in out

    def broken():
        raise FakeHTTPError(401)

    with pytest.raises(FakeHTTPError):
        retry.call_with_retry(broken, attempts=5, base=0.01, quiet=True)

    def always_busy():
        raise FakeHTTPError(503)

    with pytest.raises(FakeHTTPError):
        retry.call_with_retry(always_busy, attempts=2, base=0.01, quiet=True)
    with pytest.raises(retry.RetryError):
        retry.retrying(attempts=0)
