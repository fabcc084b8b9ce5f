"""hflab.bench padding section: pad share, epochs under three strategies, the timing method, and
`bench_padding()` itself (the measured speed-up of length grouping, lesson 07's headline).
"""
import json
import time

import pytest
import torch

from hflab import bench
from hflab.bench import BenchError


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(bench.PADDING_MODEL, local_files_only=True)


def test_pad_fraction_of_a_batch_a_mask_and_an_epoch():
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
    assert bench.pad_fraction({"attention_mask": mask}) == pytest.approx(2 / 8)
    assert bench.pad_fraction(mask) == pytest.approx(2 / 8)
    assert bench.pad_fraction([[1, 0], [1, 1]]) == pytest.approx(1 / 4)
    epoch = [{"attention_mask": mask}, {"attention_mask": torch.ones(2, 2, dtype=torch.long)}]
    assert bench.pad_fraction(epoch) == pytest.approx(2 / 12)  # over all positions, not a mean of batches
    assert bench.padded_tokens(epoch) == 12


@pytest.mark.parametrize("bad, words", [
    ({"input_ids": torch.ones(2, 3)}, "attention_mask"),
    ([[1, 1, 1], [1, 0]], "패딩"),
    (torch.ones(3), "2차원"),
    ([], "비어"),
])
def test_pad_fraction_bad_input_is_korean(bad, words):
    with pytest.raises(BenchError, match=words):
        bench.pad_fraction(bad)


def _features(tokenizer, texts):
    enc = tokenizer(texts, truncation=True, max_length=32)
    return [{**{k: enc[k][i] for k in enc.keys()}, "label": i % 2} for i in range(len(texts))]


def test_padding_epochs_three_strategies_same_examples(tokenizer):
    texts = ["short"] * 72 + ["a much longer review that goes on and on about the product and more"] * 24
    feats = _features(tokenizer, texts)
    epochs = bench.padding_epochs(feats, tokenizer, batch_size=4, max_length=32, seed=0)
    assert list(epochs) == list(bench.PADDING_STRATEGIES)
    for batches in epochs.values():
        assert sum(b["input_ids"].shape[0] for b in batches) == len(texts)
        assert sorted(int(x) for b in batches for x in b["labels"]) == sorted(f["label"] for f in feats)
    assert all(b["input_ids"].shape[1] == 32 for b in epochs["max_length"])
    fr = {n: bench.pad_fraction(b) for n, b in epochs.items()}
    assert fr["max_length"] > fr["dynamic"] >= fr["dynamic_grouped"]
    # LengthGroupedSampler sorts within mega-batches of (n // (4 * batch_size)) batches: long ones land together
    assert fr["dynamic_grouped"] < fr["dynamic"] / 2
    x8 = bench.padding_epochs(feats, tokenizer, batch_size=4, max_length=32, seed=0, pad_to_multiple_of=8)
    assert all(b["input_ids"].shape[1] % 8 == 0 for b in x8["dynamic_grouped"])


def test_padding_epochs_bad_input(tokenizer):
    with pytest.raises(BenchError, match="truncation"):
        bench.padding_epochs(_features(tokenizer, ["word " * 60]), tokenizer, max_length=8)
    with pytest.raises(BenchError, match="batch_size"):
        bench.padding_epochs(_features(tokenizer, ["a"]), tokenizer, batch_size=0)
    with pytest.raises(BenchError, match="input_ids"):
        bench.padding_epochs([{"text": "a"}], tokenizer)


def _batch(rows, length):
    return {"input_ids": torch.zeros(rows, length, dtype=torch.long),
            "attention_mask": torch.ones(rows, length, dtype=torch.long)}


def test_probes_cover_shortest_and_longest_full_batches():
    epochs = {"a": [_batch(4, 128)] * 3, "b": [_batch(4, n) for n in (10, 20, 40, 80, 128)] + [_batch(2, 5)]}
    probes = bench._probes(epochs, 3)
    lengths = [p[0] for p in probes]
    assert lengths[0] == 10 and lengths[-1] == 128 and len(lengths) == 3  # the 2-row batch is not a probe
    assert probes[-1][1] == "a"  # the first strategy that has a full 128 batch


def test_epoch_seconds_interpolates_and_clamps():
    epochs = {"x": [_batch(4, 10), _batch(4, 55), _batch(4, 100), _batch(4, 200)]}
    got = bench.epoch_seconds(epochs, [10, 100], [1.0, 10.0])
    assert got["x"] == pytest.approx(1.0 + 5.5 + 10.0 + 10.0)
    with pytest.raises(BenchError):
        bench.epoch_seconds(epochs, [10], [1.0, 2.0])


def test_time_padding_strategies_recovers_a_known_cost():
    """A fake step whose CPU cost is proportional to the padded length: the speed-up is the length ratio."""
    def step(batch):
        end = time.process_time() + 0.0004 * batch["input_ids"].shape[1]
        while time.process_time() < end:
            pass

    epochs = {"max_length": [_batch(4, 100)] * 4, "grouped": [_batch(4, 20), _batch(4, 20), _batch(4, 60), _batch(4, 100)]}
    r = bench.time_padding_strategies(step, epochs, n_lengths=3, rounds=3, threads=1)
    json.dumps(r)
    assert r["lengths"] == [20, 60, 100]
    assert r["speedup"]["max_length"] == 1.0
    assert r["speedup"]["grouped"] == pytest.approx(400 / 200, rel=0.2)
    assert len(r["speedup_by_round"]["grouped"]) == 3 and "speedup_wall" in r
    assert torch.get_num_threads() >= 1


@pytest.mark.parametrize("kwargs, words", [
    (dict(epochs={}), "dict"),
    (dict(epochs={"a": []}), "비어"),
    (dict(epochs={"a": [_batch(1, 2)]}, rounds=0), "rounds"),
    (dict(epochs={"a": [_batch(1, 2)]}, n_lengths=1), "n_lengths"),
    (dict(epochs={"a": [_batch(1, 2)]}, baseline="max_length"), "기준"),
    (dict(epochs={"a": [_batch(1, 2)]}, clock="gpu"), "clock"),
])
def test_time_padding_strategies_bad_input(kwargs, words):
    kwargs.setdefault("baseline", None)
    with pytest.raises(BenchError, match=words):
        bench.time_padding_strategies(lambda b: None, **kwargs)


def test_bench_padding_bad_input():
    with pytest.raises(BenchError, match="n_examples"):
        bench.bench_padding(n_examples=3)


def test_bench_padding_grouping_is_at_least_2_5x_faster():
    """The lesson 07 claim, measured (not assumed) on the course reviews, CPU, one run, <= 60 s.

    Same data, model and batches as `hflab bench padding`; fewer timed steps (4 lengths x 3 rounds, as in the notebook).
    """
    t0 = time.perf_counter()
    r = bench.bench_padding(n_lengths=4, rounds=3)
    seconds = time.perf_counter() - t0
    json.dumps(r)  # the CLI prints it as JSON
    pf = r["pad_fraction"]
    assert pf["max_length"] > pf["dynamic"] > pf["dynamic_grouped"]
    assert pf["dynamic_grouped_multiple_of_8"] >= pf["dynamic_grouped"]
    assert r["n_batches"]["max_length"] == r["n_batches"]["dynamic_grouped"]
    assert r["epoch_time_s"]["max_length"] > r["epoch_time_s"]["dynamic_grouped"] > 0
    assert r["speedup"]["dynamic_grouped"] >= 2.5, r
    # ~25 s of CPU in all; the wall clock is only a guard against a hang (a shared machine can be far slower)
    assert seconds <= 300, f"bench_padding took {seconds:.0f}s"
