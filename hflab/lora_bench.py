"""LoRA vs full fine-tuning, measured: :func:`bench_lora` (``hflab bench lora``).

The parent (:func:`run`) starts one fresh Python process per training configuration
(``python -m hflab.lora_bench CONFIG_JSON``), reads the JSON line each child prints and puts
the two side by side. Each child loads the same model, builds the same batches from the
course's instruction data (chat template applied, labels -100 on the prompt part) and runs
the same number of AdamW training steps, either on the LoRA adapter only or on every weight.

Why one process per configuration: the operating system's peak resident memory
(``getrusage(RUSAGE_SELF).ru_maxrss``) only ever grows, so two configurations measured in one
process would share one peak. A fresh process per configuration gives each its own honest
peak: everything the process really held (Python + torch + weights + gradients + optimizer
state + activations + allocator slack), not an estimate. The child also reports a
tensor-by-tensor account (parameters, gradients, optimizer state, activations saved for the
backward pass) so the peak can be explained.

Used in: 09_peft, ``hflab bench lora``, tests/test_bench_lora.py.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .errors import HflabError

LORA_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
_MARK = "HFLAB_LORA_BENCH "


class LoraBenchError(HflabError):
    """Bad input to the LoRA benchmark, or a child process that failed."""


# --------------------------------------------------------------------------------------------
# data: the same batches in every child
# --------------------------------------------------------------------------------------------


def chat_example(tokenizer, messages: list[dict]) -> dict:
    """``input_ids`` of the whole chat and ``labels`` with -100 on the prompt part.

    The prompt is everything the chat template renders before the last (assistant) message,
    generation prompt included; the labels keep only the assistant's tokens (and the template's
    end-of-turn tokens after them), so the loss is computed on the response alone.
    Used in: ``hflab bench lora`` (lesson 09 builds the same labels in a visible cell).
    """
    prompt_text = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full_text = tokenizer.apply_chat_template(messages, tokenize=False)
    if not full_text.startswith(prompt_text):
        raise LoraBenchError(
            "채팅 템플릿이 만든 전체 대화가 프롬프트 부분으로 시작하지 않습니다.",
            fix="마지막 메시지가 assistant 응답인 messages 를 넘기세요.",
        )
    prompt_ids = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
    ids = tokenizer(full_text, add_special_tokens=False)["input_ids"]
    if ids[: len(prompt_ids)] != prompt_ids:  # BPE merged across the boundary: tokenize the parts
        ids = prompt_ids + tokenizer(full_text[len(prompt_text):], add_special_tokens=False)["input_ids"]
    return {"input_ids": ids, "labels": [-100] * len(prompt_ids) + ids[len(prompt_ids):]}


def instruction_batches(tokenizer, n_batches: int, batch_size: int, max_length: int, lang: str | None = "en"):
    """`n_batches` padded batches (dicts of tensors) from the instruction train split.

    Examples longer than `max_length` tokens are skipped (never cut: a cut could remove the
    whole response); padding is on the right, labels -100 on padding.
    """
    import torch

    from .data import instructions_files

    rows = [json.loads(line) for line in Path(instructions_files("train")).read_text(encoding="utf-8").splitlines()
            if line.strip()]
    if lang is not None:
        rows = [r for r in rows if r["lang"] == lang]
    examples = []
    for r in rows:
        ex = chat_example(tokenizer, r["messages"])
        if len(ex["input_ids"]) <= max_length:
            examples.append(ex)
        if len(examples) == n_batches * batch_size:
            break
    if len(examples) < n_batches * batch_size:
        raise LoraBenchError(
            f"max_length={max_length} 토큰 안에 들어가는 지시문 예제가 {len(examples)}개뿐입니다 "
            f"({n_batches * batch_size}개 필요).",
            fix="max_length 를 늘리거나 steps / batch_size 를 줄이세요.",
        )
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    batches = []
    for b in range(n_batches):
        chunk = examples[b * batch_size:(b + 1) * batch_size]
        width = max(len(e["input_ids"]) for e in chunk)
        ids = torch.full((batch_size, width), pad, dtype=torch.long)
        labels = torch.full((batch_size, width), -100, dtype=torch.long)
        mask = torch.zeros((batch_size, width), dtype=torch.long)
        for i, e in enumerate(chunk):
            n = len(e["input_ids"])
            ids[i, :n] = torch.tensor(e["input_ids"])
            labels[i, :n] = torch.tensor(e["labels"])
            mask[i, :n] = 1
        batches.append({"input_ids": ids, "attention_mask": mask, "labels": labels})
    return batches


# --------------------------------------------------------------------------------------------
# child: one configuration in a fresh process
# --------------------------------------------------------------------------------------------


def _peak_rss_bytes() -> int:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # Linux reports KiB, macOS bytes


def _tensor_bytes(t) -> int:
    return t.numel() * t.element_size()


def training_step_memory(model, batch, optimizer) -> dict:
    """One training step (forward, backward, optimizer step, zero_grad) and the tensor bytes it held.

    Returns ``{"weights", "gradients", "optimizer_state", "activations", "loss"}``: bytes of all
    parameters (tied weights once), of the gradients after ``backward()``, of the optimizer's
    state after ``step()`` (AdamW: two tensors per trainable weight), and of the activations
    autograd saved for the backward pass (found with ``torch.autograd.graph.saved_tensors_hooks``;
    saved parameters are not counted twice). These four are what a training step must hold
    at once; the step really runs, so the model and the optimizer state change.
    Used in: 09_peft (LoRA vs full fine-tuning memory), ``hflab bench lora``.
    """
    import torch

    if not isinstance(batch, dict) or "labels" not in batch:
        raise LoraBenchError("batch 는 input_ids, attention_mask, labels 가 든 dict 여야 합니다.",
                             fix="콜레이터(DataCollatorForSeq2Seq 등)로 만든 배치를 넘기세요.")
    params = list({id(p): p for p in model.parameters()}.values())
    trainable = [p for p in params if p.requires_grad]
    param_ptrs = {p.untyped_storage().data_ptr() for p in params}
    saved: dict[int, int] = {}

    def pack(t):
        storage = t.untyped_storage()
        if storage.data_ptr() not in param_ptrs:
            saved[storage.data_ptr()] = max(saved.get(storage.data_ptr(), 0), storage.nbytes())
        return t

    model.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = model(**batch).loss
    loss.backward()
    gradients = sum(_tensor_bytes(p.grad) for p in trainable if p.grad is not None)
    optimizer.step()
    state = sum(_tensor_bytes(v) for s in optimizer.state.values() for v in s.values()
                if torch.is_tensor(v) and v.dim() > 0)
    optimizer.zero_grad(set_to_none=True)
    return {"weights": sum(_tensor_bytes(p) for p in params), "gradients": gradients,
            "optimizer_state": state, "activations": sum(saved.values()), "loss": float(loss.detach())}


def _child(cfg: dict) -> dict:
    rss_start = _peak_rss_bytes()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    if cfg.get("threads"):
        torch.set_num_threads(int(cfg["threads"]))
    torch.manual_seed(cfg["seed"])
    rss_imports = _peak_rss_bytes()

    tokenizer = AutoTokenizer.from_pretrained(cfg["model_id"])
    model = AutoModelForCausalLM.from_pretrained(cfg["model_id"], dtype=torch.float32)
    batches = instruction_batches(tokenizer, cfg["steps"] + cfg["warmup"], cfg["batch_size"], cfg["max_length"],
                                  cfg["lang"])

    if cfg["mode"] == "lora":
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(
            task_type="CAUSAL_LM", r=cfg["r"], lora_alpha=cfg["lora_alpha"], lora_dropout=0.0,
            target_modules=list(cfg["target_modules"])))
    params = {id(p): p for p in model.parameters()}.values()  # tied weights counted once
    trainable = [p for p in params if p.requires_grad]
    n_total = sum(p.numel() for p in params)
    n_trainable = sum(p.numel() for p in trainable)
    optimizer = torch.optim.AdamW(trainable, lr=cfg["lr"])

    times, losses, account = [], [], {}
    for i, batch in enumerate(batches):
        t0 = time.perf_counter()
        if i == 0:  # the first (warm-up) step also counts the tensors it holds
            account = training_step_memory(model, batch, optimizer)
            loss = account.pop("loss")
        else:
            loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            loss = float(loss)
        dt = time.perf_counter() - t0
        losses.append(loss)
        if i >= cfg["warmup"]:
            times.append(dt)
    rss_peak = _peak_rss_bytes()

    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)  # LoRA: the adapter only; full: the whole fine-tuned model
        files = {f.name: f.stat().st_size for f in Path(tmp).iterdir() if f.suffix == ".safetensors"}
    times.sort()
    return {
        "mode": cfg["mode"],
        "trainable_params": n_trainable,
        "total_params": n_total,
        "weights_file_bytes": sum(files.values()),
        "weights_files": sorted(files),
        "peak_rss_bytes": rss_peak,
        "rss_after_imports_bytes": max(rss_start, rss_imports),
        "accounted_bytes": account,
        "step_times_s": [round(t, 4) for t in times],
        "step_time_s": times[len(times) // 2],
        "losses": [round(x, 4) for x in losses],
        "batch_shapes": [list(b["input_ids"].shape) for b in batches],
        "torch_threads": torch.get_num_threads(),
    }


def main(argv: list[str] | None = None) -> None:
    """Entry point of a child process: ``python -m hflab.lora_bench '<config json>'``."""
    argv = sys.argv[1:] if argv is None else argv
    result = _child(json.loads(argv[0]))
    print(_MARK + json.dumps(result), flush=True)


# --------------------------------------------------------------------------------------------
# parent
# --------------------------------------------------------------------------------------------


def _run_child(cfg: dict, timeout: float) -> dict:
    from .course import project_root

    env = dict(os.environ)
    root = str(project_root())
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        proc = subprocess.run([sys.executable, "-m", "hflab.lora_bench", json.dumps(cfg)], capture_output=True,
                              text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise LoraBenchError(f"'{cfg['mode']}' 학습 측정이 {timeout:.0f}초 안에 끝나지 않았습니다.",
                             fix="steps, batch_size, max_length 를 줄이거나 timeout 을 늘리세요.") from None
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(_MARK):
            return json.loads(line[len(_MARK):])
    tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-6:])
    raise LoraBenchError(f"'{cfg['mode']}' 학습 측정 프로세스가 실패했습니다 (종료 코드 {proc.returncode}):\n{tail}",
                         fix="hflab doctor 로 환경과 오프라인 미러를 확인하세요 (hflab mirror).")


def bench_lora(model_id: str = LORA_MODEL, steps: int = 3, warmup: int = 1, batch_size: int = 4,
               max_length: int = 96, r: int = 8, lora_alpha: int = 16, target_modules=("q_proj", "v_proj"),
               lang: str | None = "en", lr_lora: float = 1e-3, lr_full: float = 1e-5, threads: int | None = 1,
               seed: int = 0, timeout: float = 600.0) -> dict:
    """LoRA vs full fine-tuning of one causal LM, all measured in this one run, on CPU.

    Both configurations train `model_id` (fp32) on the same batches: the course's instruction
    pairs (``hflab.data`` instructions train split, `lang` only; chat template applied, labels -100
    on the prompt so the loss covers the response alone; examples longer than `max_length` tokens
    skipped), `warmup` untimed + `steps` timed AdamW steps of `batch_size` examples. LoRA: ``r``,
    ``lora_alpha`` on `target_modules`; full: every weight.

    Peak memory, and why it is measured this way: ``tracemalloc`` does not see torch's
    allocator, and the OS peak of one process never goes down, so each configuration runs in
    its **own fresh Python process** (``python -m hflab.lora_bench``) and reports that process's
    peak resident memory, ``resource.getrusage(RUSAGE_SELF).ru_maxrss``: everything it really
    held (Python + torch + weights + gradients + AdamW state + activations + allocator slack).
    ``peak_rss_ratio`` divides the two whole peaks (the shared baseline of Python + torch is in
    both, so this ratio is the conservative one); ``peak_above_imports_ratio`` divides the peaks
    minus each process's resident memory right after its imports. Next to it, ``accounted_mb``
    adds up the tensors themselves (parameters, gradients, optimizer state, activations saved for
    the backward pass of the first step, found with ``torch.autograd.graph.saved_tensors_hooks``)
    to explain where the peak comes from. Step time: the median of the timed steps, `threads`
    torch threads in both children (1 is steadiest on a shared machine). File sizes: what
    ``save_pretrained`` writes after training (LoRA: ``adapter_model.safetensors``; full: the
    whole model's ``model.safetensors``).

    Returns a JSON-serializable dict with ``trainable_fraction``, ``adapter_to_model_bytes``,
    ``peak_rss_ratio`` (LoRA / full), ``peak_above_imports_ratio``, ``accounted_ratio``,
    ``step_time_ratio`` (LoRA / full) and the per-configuration details under ``lora`` and
    ``full``. ``hflab bench lora`` prints it as JSON.
    Used in: 09_peft, ``hflab bench lora``, tests/test_bench_lora.py.
    """
    for name, value, least in (("steps", steps, 1), ("warmup", warmup, 0), ("batch_size", batch_size, 1),
                               ("max_length", max_length, 8), ("r", r, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise LoraBenchError(f"{name} 는 {least} 이상의 정수여야 합니다 (지금 {value!r}).",
                                 fix=f"예: {name}={max(least, 1)}")
    if isinstance(target_modules, str):
        target_modules = [target_modules]
    if not target_modules:
        raise LoraBenchError("target_modules 가 비어 있습니다.", fix="예: target_modules=('q_proj', 'v_proj')")
    if lang is not None and lang not in ("ko", "en"):
        raise LoraBenchError(f"lang 은 'ko', 'en', None 중 하나여야 합니다 (지금 {lang!r}).", fix="예: lang='en'")
    t0 = time.perf_counter()
    base = dict(model_id=model_id, steps=steps, warmup=warmup, batch_size=batch_size, max_length=max_length,
                r=r, lora_alpha=lora_alpha, target_modules=list(target_modules), lang=lang, threads=threads,
                seed=seed)
    lora = _run_child(dict(base, mode="lora", lr=lr_lora), timeout)
    full = _run_child(dict(base, mode="full", lr=lr_full), timeout)
    if lora["batch_shapes"] != full["batch_shapes"]:  # pragma: no cover - same code, same data
        raise LoraBenchError("두 설정이 서로 다른 배치로 학습했습니다.", fix="버그입니다: 이슈로 알려 주세요.")

    def mb(x):
        return round(x / 1e6, 2)

    rows = {}
    for res in (lora, full):
        acc = res["accounted_bytes"]
        rows[res["mode"]] = {
            "trainable_params": res["trainable_params"],
            "total_params": res["total_params"],
            "weights_file_mb": mb(res["weights_file_bytes"]),
            "weights_files": res["weights_files"],
            "peak_rss_mb": mb(res["peak_rss_bytes"]),
            "rss_after_imports_mb": mb(res["rss_after_imports_bytes"]),
            "accounted_mb": {k: mb(v) for k, v in acc.items()} | {"total": mb(sum(acc.values()))},
            "step_time_s": round(res["step_time_s"], 4),
            "step_times_s": res["step_times_s"],
            "losses": res["losses"],
        }
    acc_l, acc_f = lora["accounted_bytes"], full["accounted_bytes"]
    return {
        "benchmark": "lora",
        "model": model_id,
        "device": "cpu",
        "data": f"course instructions train split ({lang or 'ko+en'}), chat template, loss on the response only",
        "batch_shapes": lora["batch_shapes"],
        "steps_timed": steps,
        "warmup_steps": warmup,
        "lora_config": {"r": r, "lora_alpha": lora_alpha, "target_modules": list(target_modules)},
        "torch_threads": lora["torch_threads"],
        "trainable_fraction": lora["trainable_params"] / lora["total_params"],
        "adapter_bytes": lora["weights_file_bytes"],
        "full_model_bytes": full["weights_file_bytes"],
        "adapter_to_model_bytes": lora["weights_file_bytes"] / full["weights_file_bytes"],
        "peak_rss_ratio": lora["peak_rss_bytes"] / full["peak_rss_bytes"],
        "peak_above_imports_ratio": ((lora["peak_rss_bytes"] - lora["rss_after_imports_bytes"])
                                     / (full["peak_rss_bytes"] - full["rss_after_imports_bytes"])),
        "accounted_ratio": sum(acc_l.values()) / sum(acc_f.values()),
        "step_time_ratio": lora["step_time_s"] / full["step_time_s"],
        "lora": rows["lora"],
        "full": rows["full"],
        "method": ("each configuration runs in its own fresh Python process: peak memory = that process's "
                   "ru_maxrss (everything it held: Python, torch, weights, gradients, AdamW state, activations); "
                   "accounted = tensor bytes of parameters + gradients + optimizer state + activations saved for "
                   "backward (first step); step time = median of the timed steps after the warm-up; "
                   "file bytes = what save_pretrained writes (LoRA: the adapter, full: the whole model)"),
        "seconds": round(time.perf_counter() - t0, 1),
    }


if __name__ == "__main__":
    main()
