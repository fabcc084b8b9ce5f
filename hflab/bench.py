"""`hflab bench ...`: measurements printed as JSON.

Each ``bench_<what>()`` measures one thing in one run and returns a JSON-serializable dict
(``hflab bench <what>`` prints it). The module is shared by several lessons: each benchmark
lives in its own section below with its own helpers; add a new benchmark as a new section and
leave the other sections alone.
"""
from __future__ import annotations

# =============================================================================================
# padding (lesson 07): pad share and training-step time under three padding strategies
# =============================================================================================

import gc
import time
from typing import Any, Callable, Iterable, Mapping, Sequence

from .errors import HflabError

#: The three strategies lesson 07 compares, in the order they are shown.
PADDING_STRATEGIES = ("max_length", "dynamic", "dynamic_grouped")
PADDING_STRATEGY_NAMES = {
    "max_length": "max_length=128 고정 패딩",
    "dynamic": "동적 패딩",
    "dynamic_grouped": "동적 패딩 + 길이 묶기",
}
PADDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


class BenchError(HflabError):
    """Bad input to a benchmark helper."""


def _mask_of(batch) -> Any:
    """The attention mask of a collated batch (a Mapping with ``attention_mask``) or a mask itself."""
    if isinstance(batch, Mapping):
        if "attention_mask" not in batch:
            raise BenchError(
                "배치에 'attention_mask' 가 없습니다 (지금 있는 키: " + ", ".join(map(str, batch)) + ").",
                fix="토크나이저가 attention_mask 를 돌려주게 두고, 콜레이터가 만든 배치를 그대로 넘기세요.",
            )
        return batch["attention_mask"]
    return batch


def pad_fraction(batches) -> float:
    """Share of padding positions: ``1 - (real tokens) / (all positions)`` from the attention masks.

    `batches` is one collated batch (a dict with ``attention_mask``), one mask (tensor / nested
    list of 0 and 1), or an iterable of batches (e.g. one epoch: ``list(dataloader)``), in which
    case the share is over all positions of all batches.
    Used in: 02_pipelines, 07_collators, ``hflab bench padding``.
    """
    import torch

    if isinstance(batches, (Mapping, torch.Tensor)) or (
        isinstance(batches, (list, tuple)) and batches and not isinstance(batches[0], (Mapping, torch.Tensor))
    ):
        batches = [batches]
    real = total = 0
    for b in batches:
        mask = _mask_of(b)
        try:
            mask = torch.as_tensor(mask)
        except (TypeError, ValueError):
            raise BenchError(
                "어텐션 마스크의 줄 길이가 서로 다릅니다 (패딩 전의 리스트인 것 같아요).",
                fix="콜레이터(DataCollatorWithPadding 등)로 패딩한 뒤의 배치를 넘기세요.",
            ) from None
        if mask.dim() != 2:
            raise BenchError(
                f"어텐션 마스크는 [배치, 길이] 2차원이어야 합니다 (지금 {mask.dim()}차원).",
                fix="batch['attention_mask'] 처럼 문장마다 한 줄인 마스크를 넘기세요.",
            )
        real += int(mask.sum())
        total += mask.numel()
    if total == 0:
        raise BenchError("배치가 비어 있습니다.", fix="예제가 하나 이상 든 배치를 넘기세요.")
    return 1.0 - real / total


def padded_tokens(batches: Iterable) -> int:
    """Number of positions (real + padding) the model computes over, summed over batches.

    Used in: 02_pipelines, 07_collators, ``hflab bench padding``.
    """
    return sum(int(_mask_of(b).numel()) for b in batches)


def padding_epochs(features: Sequence[Mapping], tokenizer, batch_size: int = 8, max_length: int = 128,
                   seed: int = 0, pad_to_multiple_of: int | None = None,
                   strategies: Sequence[str] = PADDING_STRATEGIES) -> dict[str, list]:
    """One epoch of collated batches under each padding strategy (the batches a Trainer would feed).

    * ``max_length``: random order, ``DataCollatorWithPadding(padding="max_length", max_length=...)``;
    * ``dynamic``: random order, ``DataCollatorWithPadding`` (pads to the longest in each batch);
    * ``dynamic_grouped``: ``LengthGroupedSampler`` (what ``train_sampling_strategy="group_by_length"``
      makes the Trainer use) + ``DataCollatorWithPadding``.

    `features` are tokenized examples (``input_ids``, ``attention_mask``, ``label`` ...) already
    truncated to `max_length`; `pad_to_multiple_of` applies to the dynamic strategies;
    `strategies` picks some of the three. The sampler sorts by length inside mega-batches of
    ``min(len(features) // (4 * batch_size), 50)`` batches, so a tiny dataset is barely grouped.
    Lesson 07 builds the same three epochs in visible cells.
    Used in: 07_collators (``hflab bench padding``).
    """
    import torch
    from torch.utils.data import DataLoader, RandomSampler
    from transformers import DataCollatorWithPadding
    from transformers.trainer_pt_utils import LengthGroupedSampler

    if not isinstance(batch_size, int) or batch_size < 1:
        raise BenchError(f"batch_size 는 1 이상의 정수여야 합니다 (지금 {batch_size!r}).", fix="예: batch_size=8")
    features = list(features)
    if not features or not isinstance(features[0], Mapping) or "input_ids" not in features[0]:
        raise BenchError(
            "features 는 토큰화된 예제(dict, 'input_ids' 포함)의 리스트여야 합니다.",
            fix="tokenizer(text, truncation=True, max_length=128) 결과를 예제마다 dict 로 넘기세요.",
        )
    unknown = [s for s in strategies if s not in PADDING_STRATEGIES]
    if unknown:
        raise BenchError(f"모르는 패딩 전략: {unknown}", fix=f"{', '.join(PADDING_STRATEGIES)} 중에서 고르세요.")
    too_long = max(len(f["input_ids"]) for f in features)
    if too_long > max_length:
        raise BenchError(
            f"max_length={max_length} 보다 긴 예제({too_long} 토큰)가 있습니다.",
            fix=f"토큰화할 때 truncation=True, max_length={max_length} 를 주세요 (세 전략이 같은 데이터를 보도록).",
        )
    lengths = [len(f["input_ids"]) for f in features]
    fixed = DataCollatorWithPadding(tokenizer, padding="max_length", max_length=max_length)
    dynamic = DataCollatorWithPadding(tokenizer, pad_to_multiple_of=pad_to_multiple_of)

    def gen():
        return torch.Generator().manual_seed(seed)

    loaders = {
        "max_length": DataLoader(features, batch_size=batch_size, sampler=RandomSampler(features, generator=gen()),
                                 collate_fn=fixed),
        "dynamic": DataLoader(features, batch_size=batch_size, sampler=RandomSampler(features, generator=gen()),
                              collate_fn=dynamic),
        "dynamic_grouped": DataLoader(features, batch_size=batch_size,
                                      sampler=LengthGroupedSampler(batch_size, lengths=lengths, generator=gen()),
                                      collate_fn=dynamic),
    }
    return {name: list(loaders[name]) for name in strategies}


def classifier_train_step(model, lr: float = 2e-5) -> Callable[[Mapping], float]:
    """A training step for a sequence classifier: forward + backward + AdamW step + zero_grad.

    The optimizer is ``torch.optim.AdamW(..., fused=True)``, the Trainer's default
    (``optim="adamw_torch_fused"``) on torch >= 2.8. Returns ``step(batch) -> loss``.
    Lesson 07 writes the same step in a visible cell.
    Used in: 07_collators (``hflab bench padding``).
    """
    import torch

    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, fused=True)

    def step(batch: Mapping) -> float:
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return float(loss.detach())

    return step


def _median(xs: Sequence[float]) -> float:
    xs = sorted(xs)
    k = len(xs) // 2
    return xs[k] if len(xs) % 2 else (xs[k - 1] + xs[k]) / 2


def _length(batch) -> int:
    return int(_mask_of(batch).shape[-1])


def _rows(batch) -> int:
    return int(_mask_of(batch).shape[0])


def _probes(epochs: Mapping[str, Sequence], n_lengths: int) -> list[tuple[int, str, int]]:
    """Pick real batches at `n_lengths` padded lengths spread from the shortest to the longest.

    Only full batches (the largest row count) are candidates. Returns ``[(length, strategy,
    batch_index), ...]`` sorted by length; the shortest and the longest length are always in.
    """
    full = max(_rows(b) for batches in epochs.values() for b in batches)
    where: dict[int, tuple[str, int]] = {}
    for name, batches in epochs.items():
        for i, b in enumerate(batches):
            if _rows(b) == full:
                where.setdefault(_length(b), (name, i))
    lengths = sorted(where)
    lo, hi = lengths[0], lengths[-1]
    n = max(1, min(n_lengths, len(lengths)))
    targets = [lo + (hi - lo) * k / (n - 1) for k in range(n)] if n > 1 else [hi]
    chosen: list[int] = []
    for t in targets:
        for length in sorted(lengths, key=lambda x: (abs(x - t), x)):
            if length not in chosen:
                chosen.append(length)
                break
    return [(length, *where[length]) for length in sorted(chosen)]


def _interp(x: float, xs: Sequence[float], ys: Sequence[float]) -> float:
    """Piecewise-linear interpolation, clamped at the ends."""
    if x <= xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1]
    for (x0, y0), (x1, y1) in zip(zip(xs, ys), zip(xs[1:], ys[1:])):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return ys[-1]


def epoch_seconds(epochs: Mapping[str, Sequence], lengths: Sequence[int], step_s: Sequence[float]) -> dict[str, float]:
    """Epoch time of each strategy: the sum, over every batch of its epoch, of the step time at
    that batch's padded length (read off the measured `lengths` -> `step_s` curve, linear
    between measured lengths). A last, smaller batch is counted as a full one.
    Used in: 07_collators, ``hflab bench padding``.
    """
    if len(lengths) != len(step_s) or not lengths:
        raise BenchError("lengths 와 step_s 는 같은 길이의, 비어 있지 않은 리스트여야 합니다.",
                         fix="time_padding_strategies(...) 결과의 'lengths' 와 'median_s' 를 넘기세요.")
    return {name: sum(_interp(_length(b), lengths, step_s) for b in batches) for name, batches in epochs.items()}


def time_padding_strategies(step: Callable[[Mapping], Any], epochs: Mapping[str, Sequence], n_lengths: int = 5,
                            rounds: int = 3, warmup: int = 1, threads: int | None = 1, clock: str = "cpu",
                            baseline: str | None = "max_length") -> dict:
    """Measure training-step time against padded length and each strategy's epoch time.

    A step costs what the batch's shape (rows x padded length) costs, whatever strategy made
    it. So real batches from the epochs are timed at `n_lengths` padded lengths spread from the
    shortest to the longest (always including both); every length is timed `rounds` times, in
    a rotating order so that a busy machine slows all lengths alike, after `warmup` untimed
    steps (on the shortest batch: lazy initialisation, optimizer state). Each length's step
    time is the median of its rounds. Then

        epoch time (strategy) = sum over ALL its batches of step time at the batch's length

    with the step time read off the measured curve (linear between measured lengths).

    `clock="cpu"` times with ``time.process_time()``: the CPU time this process spends in the
    step. On a shared machine the wall clock also counts the time the process waits while other
    programs use the CPU, which is noise here; with one torch thread on an otherwise idle
    machine both clocks agree. `clock="wall"` uses ``time.perf_counter()``. Both are recorded;
    ``speedup`` uses `clock`, ``speedup_wall`` the wall clock. `threads` fixes
    ``torch.set_num_threads`` while timing (restored afterwards). With `baseline`,
    ``speedup[name] = epoch(baseline) / epoch(name)``; ``speedup_by_round`` repeats the
    computation with each round's times alone, to show the spread. Returns a JSON-serializable
    dict. Used in: 07_collators, ``hflab bench padding``.
    """
    import torch

    if not isinstance(epochs, Mapping) or not epochs:
        raise BenchError("epochs 는 {'전략 이름': [배치, ...]} 형태의 dict 여야 합니다.",
                         fix="예: {'max_length': list(loader_a), 'dynamic': list(loader_b)}")
    for name, batches in epochs.items():
        if not batches:
            raise BenchError(f"'{name}' 의 배치 리스트가 비어 있습니다.", fix="list(DataLoader(...)) 로 한 에폭의 배치를 넘기세요.")
    if clock not in ("cpu", "wall"):
        raise BenchError(f"clock='{clock}' 은(는) 지원하지 않습니다.", fix="clock='cpu' (CPU 시간) 또는 clock='wall' (벽시계)")
    for what, value, least in (("n_lengths", n_lengths, 2), ("rounds", rounds, 1), ("warmup", warmup, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise BenchError(f"{what} 는 {least} 이상의 정수여야 합니다 (지금 {value!r}).", fix=f"예: {what}={max(least, 2)}")
    if baseline is not None and baseline not in epochs:
        raise BenchError(f"기준 전략 '{baseline}' 이 epochs 에 없습니다 ({', '.join(map(str, epochs))}).",
                         fix="baseline 에 epochs 의 키 하나를 넘기세요.")
    probes = _probes(epochs, n_lengths)
    times: list[list[float]] = [[] for _ in probes]
    walls: list[list[float]] = [[] for _ in probes]
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(int(threads))
    t_start = time.perf_counter()
    try:
        length, name, i = probes[0]
        for _ in range(warmup):  # untimed: lazy initialisation, optimizer state
            step(epochs[name][i])
        gc.collect()
        for r in range(rounds):
            shift = (r * max(1, len(probes) // 2 + 1)) % len(probes)
            for k in list(range(shift, len(probes))) + list(range(shift)):
                _, name, i = probes[k]
                c0, w0 = time.process_time(), time.perf_counter()
                step(epochs[name][i])
                c1, w1 = time.process_time(), time.perf_counter()
                times[k].append(c1 - c0 if clock == "cpu" else w1 - w0)
                walls[k].append(w1 - w0)
    finally:
        torch.set_num_threads(old_threads)

    lengths = [p[0] for p in probes]
    median_s = [_median(ts) for ts in times]
    wall_median_s = [_median(ts) for ts in walls]
    epoch_s = epoch_seconds(epochs, lengths, median_s)
    epoch_wall_s = epoch_seconds(epochs, lengths, wall_median_s)
    by_round = [epoch_seconds(epochs, lengths, [ts[r] for ts in times]) for r in range(rounds)]
    result: dict = {
        "clock": "cpu (time.process_time)" if clock == "cpu" else "wall (time.perf_counter)",
        "lengths": lengths,
        "rows": _rows(epochs[probes[-1][1]][probes[-1][2]]),
        "median_s": [round(x, 4) for x in median_s],
        "times_s": [[round(t, 4) for t in ts] for ts in times],
        "wall_median_s": [round(x, 4) for x in wall_median_s],
        "probe_from": [p[1] for p in probes],
        "n_batches": {n: len(b) for n, b in epochs.items()},
        "epoch_s": {n: round(v, 3) for n, v in epoch_s.items()},
        "epoch_wall_s": {n: round(v, 3) for n, v in epoch_wall_s.items()},
        "rounds": rounds,
        "warmup": warmup,
        "threads": int(threads) if threads is not None else old_threads,
        "measure_seconds": round(time.perf_counter() - t_start, 2),
    }
    if baseline is not None:
        result["baseline"] = baseline
        result["speedup"] = {n: round(epoch_s[baseline] / v, 3) for n, v in epoch_s.items()}
        result["speedup_by_round"] = {n: [round(e[baseline] / e[n], 3) for e in by_round] for n in epochs}
        result["speedup_wall"] = {n: round(epoch_wall_s[baseline] / v, 3) for n, v in epoch_wall_s.items()}
    return result


def _load_classifier(model_id: str, num_labels: int = 2):
    """AutoModelForSequenceClassification from the local cache first (no network retries offline)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the load report (new classifier head) is lesson 04's topic
    try:
        try:
            tok = AutoTokenizer.from_pretrained(model_id, local_files_only=True)
            model = AutoModelForSequenceClassification.from_pretrained(model_id, num_labels=num_labels,
                                                                       local_files_only=True)
        except OSError:
            tok = AutoTokenizer.from_pretrained(model_id)
            model = AutoModelForSequenceClassification.from_pretrained(model_id, num_labels=num_labels)
    except OSError as e:
        raise BenchError(f"모델 '{model_id}' 를 불러오지 못했습니다: {type(e).__name__}",
                         fix="hflab mirror 로 오프라인 미러를 만들거나 인터넷에 연결하세요.") from None
    finally:
        hf_logging.set_verbosity(level)
    return tok, model


def _review_rows(split: str = "train") -> list[dict]:
    import csv

    from .data import reviews_files

    with open(reviews_files(split), encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def bench_padding(model_id: str = PADDING_MODEL, batch_size: int = 16, max_length: int = 128,
                  n_examples: int | None = None, n_lengths: int = 5, rounds: int = 3, threads: int = 1,
                  clock: str = "cpu", seed: int = 0) -> dict:
    """Pad share and training-step time of max_length vs dynamic vs dynamic + length-grouped padding.

    Everything is measured in this one run, on CPU: the course reviews train split (ko + en,
    truncated to `max_length` tokens), `model_id` with a fresh 2-label classification head
    (``AutoModelForSequenceClassification``), one epoch of batches of `batch_size` per strategy
    built by :func:`padding_epochs` (the collators and samplers of lesson 07), the step of
    :func:`classifier_train_step` (forward + backward + fused AdamW, the Trainer's default
    optimizer) timed by :func:`time_padding_strategies` (`n_lengths` padded lengths x `rounds`
    interleaved rounds, medians, `threads` torch threads, CPU time by default: see `clock`
    there). `n_examples` keeps only the first n training reviews (a shorter epoch; the length
    grouping then sees fewer examples).

    Returns pad fractions (also with ``pad_to_multiple_of=8``), padded tokens per epoch, the
    measured step-time curve, the epoch times and ``speedup`` = epoch time of ``max_length`` /
    epoch time of ``dynamic`` and of ``dynamic_grouped``. ``hflab bench padding`` prints it.
    Used in: 07_collators, ``hflab bench padding``, tests/test_bench_padding.py.
    """
    import platform

    import torch

    if not isinstance(batch_size, int) or batch_size < 1:
        raise BenchError(f"batch_size 는 1 이상의 정수여야 합니다 (지금 {batch_size!r}).", fix="예: batch_size=8")
    if n_examples is not None and (not isinstance(n_examples, int) or n_examples < 2 * batch_size):
        raise BenchError(f"n_examples 는 배치 두 개({2 * batch_size}) 이상이어야 합니다 (지금 {n_examples!r}).",
                         fix="n_examples=None 이면 학습 분할 전체를 씁니다.")
    t0 = time.perf_counter()
    rows = _review_rows("train")
    if n_examples is not None:
        rows = rows[:n_examples]
    tok, model = _load_classifier(model_id)
    enc = tok([r["text"] for r in rows], truncation=True, max_length=max_length)
    features = [{**{k: enc[k][i] for k in enc.keys()}, "label": int(r["label"])} for i, r in enumerate(rows)]
    torch.manual_seed(seed)
    epochs = padding_epochs(features, tok, batch_size=batch_size, max_length=max_length, seed=seed)
    mult8 = padding_epochs(features, tok, batch_size=batch_size, max_length=max_length, seed=seed,
                           pad_to_multiple_of=8, strategies=("dynamic_grouped",))
    step = classifier_train_step(model)
    timing = time_padding_strategies(step, epochs, n_lengths=n_lengths, rounds=rounds, threads=threads,
                                     clock=clock, baseline="max_length")
    langs = sorted({r["lang"] for r in rows})
    return {
        "benchmark": "padding",
        "model": model_id,
        "device": "cpu",
        "cpu": platform.processor() or platform.machine(),
        "torch_threads": timing["threads"],
        "data": f"course reviews train split ({'+'.join(langs)}), {len(rows)} examples",
        "batch_size": batch_size,
        "max_length": max_length,
        "n_batches": timing["n_batches"],
        "mean_real_tokens": round(sum(len(f["input_ids"]) for f in features) / len(features), 2),
        "pad_fraction": {n: round(pad_fraction(b), 4) for n, b in epochs.items()}
        | {"dynamic_grouped_multiple_of_8": round(pad_fraction(mult8["dynamic_grouped"]), 4)},
        "padded_tokens_per_epoch": {n: padded_tokens(b) for n, b in epochs.items()},
        "clock": timing["clock"],
        "step_time_s": {"padded_length": timing["lengths"], "median_s": timing["median_s"],
                        "times_s": timing["times_s"], "wall_median_s": timing["wall_median_s"]},
        "epoch_time_s": timing["epoch_s"],
        "epoch_wall_time_s": timing["epoch_wall_s"],
        "speedup": {n: timing["speedup"][n] for n in ("dynamic", "dynamic_grouped")},
        "speedup_by_round": {n: timing["speedup_by_round"][n] for n in ("dynamic", "dynamic_grouped")},
        "speedup_wall": {n: timing["speedup_wall"][n] for n in ("dynamic", "dynamic_grouped")},
        "method": (f"training step (forward + backward + fused AdamW step) timed on real batches at "
                   f"{len(timing['lengths'])} padded lengths x {rounds} interleaved rounds (median {timing['clock']}, "
                   f"{timing['threads']} torch thread(s), after {timing['warmup']} warm-up step); "
                   "epoch time = sum over every batch of the epoch of the step time at its padded length "
                   "(linear between measured lengths)"),
        "measure_seconds": timing["measure_seconds"],
        "seconds": round(time.perf_counter() - t0, 1),
    }


# =============================================================================================
# pipeline (lesson 02): items/s of a pipeline at batch_size 1 vs larger batches
# =============================================================================================

#: batch sizes lesson 02 compares (1 = one review at a time)
PIPELINE_BATCH_SIZES = (1, 8, 32)
#: the fallback model when the course review classifier has not been built yet
PIPELINE_FALLBACK_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def time_pipeline(pipe: Callable, texts: Sequence[str], batch_sizes: Sequence[int] = PIPELINE_BATCH_SIZES,
                  rounds: int = 2, **call_kwargs) -> dict:
    """Items per second of ``pipe(texts, batch_size=b, **call_kwargs)`` for each batch size `b`.

    One untimed warm-up call per batch size (a slice of `b` texts), then `rounds` timed passes
    over all `texts` per batch size, interleaved (round by round) so that a busy machine slows
    every batch size alike. Each batch size keeps its fastest pass
    (``items_per_s = len(texts) / best seconds``); ``ratio[b]`` is items/s at `b` divided by
    items/s at the smallest batch size. Lesson 02 writes the same loop in a visible cell.
    Used in: 02_pipelines (``hflab bench pipeline``).
    """
    texts = list(texts)
    sizes = [int(b) for b in batch_sizes]
    if not texts:
        raise BenchError("texts 가 비어 있습니다.", fix="측정할 문장 리스트를 하나 이상 넘기세요.")
    if not sizes or any(b < 1 for b in sizes):
        raise BenchError(f"batch_sizes 는 1 이상의 정수들이어야 합니다 (지금 {list(batch_sizes)!r}).",
                         fix="예: batch_sizes=(1, 8, 32)")
    if not isinstance(rounds, int) or rounds < 1:
        raise BenchError(f"rounds 는 1 이상의 정수여야 합니다 (지금 {rounds!r}).", fix="예: rounds=2")
    for b in sizes:  # warm-up: first calls allocate and compile kernels
        pipe(texts[:b], batch_size=b, **call_kwargs)
    seconds: dict[int, list[float]] = {b: [] for b in sizes}
    for _ in range(rounds):
        for b in sizes:
            t0 = time.perf_counter()
            out = pipe(texts, batch_size=b, **call_kwargs)
            seconds[b].append(time.perf_counter() - t0)
            if len(out) != len(texts):
                raise BenchError(f"파이프라인이 {len(texts)}개 입력에 {len(out)}개를 돌려주었습니다.",
                                 fix="문장 리스트를 넘기고, 출력도 같은 길이의 리스트인지 확인하세요.")
    base = min(sizes)
    rate = {b: len(texts) / min(ts) for b, ts in seconds.items()}
    return {
        "n_items": len(texts),
        "rounds": rounds,
        "items_per_s": {str(b): round(rate[b], 2) for b in sizes},
        "seconds": {str(b): [round(t, 4) for t in ts] for b, ts in seconds.items()},
        "ratio": {str(b): round(rate[b] / rate[base], 3) for b in sizes},
    }


def bench_pipeline(model: str | None = None, batch_sizes: Sequence[int] = PIPELINE_BATCH_SIZES,
                   n_items: int = 64, rounds: int = 2, split: str = "test", max_length: int = 96,
                   threads: int | None = 1) -> dict:
    """Batched vs unbatched pipeline throughput (items/s) on the course reviews.

    `model` None: the course review classifier (``build/models/review-classifier``, see
    :mod:`hflab.models`) as a ``text-classification`` pipeline when it has been built, else the
    mirror's MiniLM as a ``feature-extraction`` pipeline (nothing is trained here). A path or
    Hub id given as `model` is used as a ``text-classification`` pipeline. The texts are the
    first `n_items` reviews of `split` (Korean and English mixed, in file order), cut to
    `max_length` tokens (the review classifier is trained on 96, :data:`hflab.models.RECIPE`); the timing is
    :func:`time_pipeline` with `threads` torch threads (restored afterwards; None = torch's
    default). The defaults are lesson 02's offline parameters. ``batched_vs_unbatched`` is items/s at the largest batch size divided
    by items/s at batch size 1. ``hflab bench pipeline`` prints the dict as JSON.
    Used in: 02_pipelines, ``hflab bench pipeline``, tests/test_bench_pipeline.py.
    """
    import platform

    import torch
    from transformers import pipeline
    from transformers.utils import logging as hf_logging

    from . import models

    if 1 not in [int(b) for b in batch_sizes]:
        raise BenchError(f"batch_sizes 에 1(한 개씩 처리)이 있어야 비교 기준이 됩니다 (지금 {list(batch_sizes)!r}).",
                         fix="예: batch_sizes=(1, 8, 32)")
    if not isinstance(n_items, int) or n_items < max(int(b) for b in batch_sizes):
        raise BenchError(f"n_items 는 가장 큰 배치 크기 이상이어야 합니다 (지금 {n_items!r}).",
                         fix="예: n_items=128, batch_sizes=(1, 8, 32)")
    t0 = time.perf_counter()
    rows = _review_rows(split)[:n_items]
    texts = [r["text"] for r in rows]
    if model is None and models.is_complete():
        task, model_name, source = "text-classification", str(models.review_classifier_path()), "course review classifier"
    elif model is None:
        task, model_name, source = "feature-extraction", PIPELINE_FALLBACK_MODEL, \
            "mirror encoder (the review classifier is not built yet: run 08_trainer or hflab.models.ensure_review_classifier())"
    else:
        task, model_name, source = "text-classification", str(model), "given"
    device = "cuda" if torch.cuda.is_available() else "cpu"
    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        pipe = pipeline(task, model=model_name, device=device)
    except OSError as e:
        raise BenchError(f"모델 '{model_name}' 을(를) 불러오지 못했습니다: {type(e).__name__}",
                         fix="오프라인이면 `hflab mirror` 로 미러를 만들고 HF_HUB_OFFLINE=1 을 설정하세요.") from None
    finally:
        hf_logging.set_verbosity(level)
    cut = {"truncation": True, "max_length": max_length}
    call_kwargs = cut if task == "text-classification" else {"tokenize_kwargs": cut}
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(int(threads))
    try:
        timing = time_pipeline(pipe, texts, batch_sizes=batch_sizes, rounds=rounds, **call_kwargs)
        used_threads = torch.get_num_threads()
    finally:
        torch.set_num_threads(old_threads)
    largest = str(max(int(b) for b in batch_sizes))
    langs = sorted({r["lang"] for r in rows})
    return {
        "benchmark": "pipeline",
        "task": task,
        "model": model_name,
        "model_source": source,
        "device": device,
        "cpu": platform.processor() or platform.machine(),
        "torch_threads": used_threads,
        "data": f"course reviews {split} split ({'+'.join(langs)}), first {len(texts)} in file order, "
                f"cut to {max_length} tokens",
        "batch_sizes": [int(b) for b in batch_sizes],
        "items_per_s": timing["items_per_s"],
        "ratio_vs_batch_1": timing["ratio"],
        "batched_vs_unbatched": timing["ratio"][largest],
        "method": f"best of {rounds} timed passes per batch size (interleaved, after one warm-up call each)",
        "timing": timing,
        "seconds": round(time.perf_counter() - t0, 1),
    }

