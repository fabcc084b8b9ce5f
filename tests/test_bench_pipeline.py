"""hflab.bench pipeline section: the timing loop of lesson 02 and `hflab bench pipeline`."""
from __future__ import annotations

import json
import time

import pytest

from hflab import bench
from hflab.bench import BenchError


class FakePipe:
    """A pipeline stand-in whose cost per call is a fixed overhead plus a cost per item."""

    def __init__(self, overhead=0.004, per_item=0.0002):
        self.overhead, self.per_item, self.calls = overhead, per_item, []

    def __call__(self, texts, batch_size=1):
        self.calls.append((len(texts), batch_size))
        n_batches = -(-len(texts) // batch_size)
        time.sleep(n_batches * self.overhead + len(texts) * self.per_item)
        return [{"label": "positive", "score": 1.0} for _ in texts]


def test_time_pipeline_warms_up_interleaves_and_keeps_the_fastest_pass():
    pipe = FakePipe()
    r = bench.time_pipeline(pipe, ["x"] * 16, batch_sizes=(1, 8), rounds=2)
    # one warm-up call per batch size (b texts), then rounds x batch sizes timed passes, round by round
    assert pipe.calls == [(1, 1), (8, 8), (16, 1), (16, 8), (16, 1), (16, 8)]
    assert r["n_items"] == 16 and r["rounds"] == 2
    assert set(r["items_per_s"]) == {"1", "8"} and len(r["seconds"]["1"]) == 2
    assert r["items_per_s"]["1"] == pytest.approx(16 / min(r["seconds"]["1"]), rel=1e-2)
    assert r["ratio"]["1"] == 1.0
    assert r["ratio"]["8"] > 2  # 16 overheads vs 2: batching amortises the per-call cost
    json.dumps(r)


@pytest.mark.parametrize("kwargs, words", [
    (dict(texts=[]), "비어"),
    (dict(batch_sizes=(0, 8)), "batch_sizes"),
    (dict(rounds=0), "rounds"),
])
def test_time_pipeline_bad_input_is_korean(kwargs, words):
    kwargs.setdefault("texts", ["a", "b"])
    with pytest.raises(BenchError, match=words):
        bench.time_pipeline(FakePipe(0, 0), **kwargs)


def test_time_pipeline_rejects_an_output_of_the_wrong_length():
    with pytest.raises(BenchError, match="돌려주었습니다"):
        bench.time_pipeline(lambda texts, batch_size: [None], ["a", "b"], batch_sizes=(1,), rounds=1)


@pytest.mark.parametrize("kwargs, words", [
    (dict(batch_sizes=(8, 32)), "1"),
    (dict(n_items=4, batch_sizes=(1, 8)), "n_items"),
])
def test_bench_pipeline_bad_input_is_korean(kwargs, words):
    with pytest.raises(BenchError, match=words):
        bench.bench_pipeline(**kwargs)


def test_bench_pipeline_measures_the_mirror_encoder_when_the_classifier_is_missing(monkeypatch):
    """The fallback path (no review classifier built): MiniLM feature-extraction, real timings."""
    from hflab import models

    import torch

    monkeypatch.setattr(models, "is_complete", lambda path=None: False)
    before = torch.get_num_threads()
    r = bench.bench_pipeline(batch_sizes=(1, 8), n_items=16, rounds=1)
    assert r["torch_threads"] == 1 and torch.get_num_threads() == before   # one thread while timing, restored
    json.dumps(r)
    assert r["benchmark"] == "pipeline" and r["task"] == "feature-extraction"
    assert r["model"] == bench.PIPELINE_FALLBACK_MODEL and "not built" in r["model_source"]
    assert set(r["items_per_s"]) == {"1", "8"} and all(v > 0 for v in r["items_per_s"].values())
    assert r["batched_vs_unbatched"] == r["ratio_vs_batch_1"]["8"]
    assert r["data"].startswith("course reviews test split")
