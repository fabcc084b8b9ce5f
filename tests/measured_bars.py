"""The bars on what lessons measure, held by the tests, never by the lessons.

A lesson records a measured value (hflab.report.record / headline) and prints what it means; a bar
tuned on the course's offline run (2 CPU cores, the mirror's models) would stop "모두 실행" on a T4 or
a busy machine, so it lives here. tests/test_notebooks.py checks every bar of a lesson right after
running it, on the values that run recorded (hflab.report.recorded_values).

Each bar: (what it means, check over the recorded values).
"""
from __future__ import annotations

BARS: dict[str, list[tuple[str, object]]] = {
    "00_setup": [
        ("params x bytes equals the tensors' own bytes (numel x element_size)",
         lambda v: abs(v["weights_computed_gb"] - v["weights_measured_gb"]) < 1e-9),
    ],
    "02_pipelines": [
        ("every sentence's same-topic partner is closer than any other topic's sentence",
         lambda v: v["similarity_min_margin"] > 0),
    ],
    "03_tokenizers": [
        ("the three tokenizers train in under 30 s on 2 cores", lambda v: v["tokenizer_train_s"] < 30),
    ],
    "04_autoclass": [
        ("an untrained head guesses: mean accuracy within 0.25 of chance",
         lambda v: abs(v["random_head_mean_accuracy"] - 0.5) < 0.25),
        ("an untrained head is unsure: mean top probability under 0.75",
         lambda v: v["random_head_mean_confidence"] < 0.75),
    ],
    "05_generation_chat": [
        ("params x bytes matches get_memory_footprint() within 2%",
         lambda v: abs(v["footprint_measured_gb"] - v["footprint_computed_gb"]) / v["footprint_computed_gb"] < 0.02),
    ],
    "07_collators": [
        ("dynamic padding + length grouping is at least 2.5x faster per epoch than max_length padding",
         lambda v: v["speedup_grouped"] >= 2.5),
        ("length grouping beats dynamic padding alone", lambda v: v["speedup_grouped"] > v["speedup_dynamic"]),
    ],
    "08_trainer": [
        ("English test accuracy of the fine-tuned classifier >= 0.85", lambda v: v["en_accuracy"] >= 0.85),
        ("the fine-tuned classifier beats the TF-IDF baseline in English",
         lambda v: v["en_accuracy"] > v["baseline_en_accuracy"]),
        ("on CPU, resuming from a checkpoint is bit-identical to the uninterrupted run",
         lambda v: v["resume_same_history"] is True and v["resume_max_weight_diff"] == 0.0),
    ],
    "09_peft": [
        ("LoRA training lowers the held-out loss", lambda v: v["eval_loss_after"] < v["eval_loss_before"]),
        ("a LoRA training step needs at most 0.7x the tensor memory of full fine-tuning",
         lambda v: v["memory_ratio"] <= 0.7),
        ("the saved adapter is under 2% of the base model file", lambda v: v["adapter_ratio"] < 0.02),
    ],
    "11_inference_api": [
        ("the two battery sentences are closer to each other than to the delivery sentence",
         lambda v: v["embed_similarity_margin"] > 0),
        ("dynamic batching is at least 2x on <= 8-token inputs", lambda v: v["speedup_short"] >= 2),
        ("batching gains more on short inputs than on whole reviews", lambda v: v["speedup_short"] > v["speedup"]),
        ("on whole reviews, batching still costs the server less CPU per request",
         lambda v: v["server_cpu_ms_batched"] < v["server_cpu_ms_per_request"]),
    ],
}


def failed_bars(stem: str, values: dict) -> list[str]:
    """The bars of lesson `stem` that `values` miss (a missing value counts as missed)."""
    missed = []
    for meaning, check in BARS.get(stem, []):
        try:
            ok = check(values)
        except KeyError as e:
            ok, meaning = False, f"{meaning} (value {e} was not recorded)"
        if not ok:
            missed.append(meaning)
    return missed
