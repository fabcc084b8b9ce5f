"""hflab.lora_bench.bench_lora (`hflab bench lora`): LoRA vs full fine-tuning of SmolLM2-135M, measured in one run.

The slow test runs the real benchmark with a small configuration (two fresh child processes,
2 training steps each) and asserts the facts lesson 09 shows: trainable share under 1%, adapter
file under 2% of the model file, peak memory of LoRA training at most 0.7x that of full
fine-tuning. The fast tests cover the labels and the Korean errors.
"""
from __future__ import annotations

import json

import pytest

from hflab import lora_bench
from hflab.errors import HflabError

MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(MODEL)


def test_chat_example_masks_the_prompt(tokenizer):
    messages = [{"role": "user", "content": "What is 2 + 2?"}, {"role": "assistant", "content": "2 + 2 is 4."}]
    ex = lora_bench.chat_example(tokenizer, messages)
    prompt = tokenizer.apply_chat_template(messages[:1], tokenize=False, add_generation_prompt=True)
    n_prompt = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    assert len(ex["labels"]) == len(ex["input_ids"])
    assert ex["labels"][:n_prompt] == [-100] * n_prompt
    assert ex["labels"][n_prompt:] == ex["input_ids"][n_prompt:]
    response = tokenizer.decode(ex["input_ids"][n_prompt:])
    assert response.startswith("2 + 2 is 4.") and "<|im_end|>" in response


def test_instruction_batches_pad_labels_with_minus_100(tokenizer):
    (batch,) = lora_bench.instruction_batches(tokenizer, n_batches=1, batch_size=3, max_length=96)
    assert batch["input_ids"].shape == batch["labels"].shape == batch["attention_mask"].shape
    assert (batch["labels"][batch["attention_mask"] == 0] == -100).all()
    assert (batch["labels"] != -100).any(dim=1).all()  # every example keeps its response


def test_too_short_max_length_is_a_korean_error(tokenizer):
    with pytest.raises(HflabError, match="max_length"):
        lora_bench.instruction_batches(tokenizer, n_batches=2, batch_size=2, max_length=10)


def _tiny_llama():
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64)
    return LlamaForCausalLM(cfg)


def _tiny_batch():
    import torch

    ids = torch.randint(3, 64, (2, 10))
    labels = ids.clone()
    labels[:, :4] = -100
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels}


def test_training_step_memory_counts_grads_and_adam_states():
    import torch
    from peft import LoraConfig, get_peft_model

    full = _tiny_llama()
    acc_full = lora_bench.training_step_memory(full, _tiny_batch(), torch.optim.AdamW(full.parameters(), lr=1e-3))
    weights = sum(p.numel() * 4 for p in {id(p): p for p in full.parameters()}.values())
    assert acc_full["weights"] == weights
    assert acc_full["gradients"] == weights
    assert acc_full["optimizer_state"] == 2 * weights  # AdamW: exp_avg + exp_avg_sq per weight
    assert acc_full["activations"] > 0

    lora = get_peft_model(_tiny_llama(), LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"]))
    trainable = [p for p in lora.parameters() if p.requires_grad]
    acc_lora = lora_bench.training_step_memory(lora, _tiny_batch(), torch.optim.AdamW(trainable, lr=1e-3))
    n_trainable = sum(p.numel() * 4 for p in trainable)
    assert acc_lora["gradients"] == n_trainable
    assert acc_lora["optimizer_state"] == 2 * n_trainable
    assert acc_lora["gradients"] < acc_full["gradients"] / 5


def test_training_step_memory_needs_labels():
    import torch

    model = _tiny_llama()
    with pytest.raises(HflabError, match="labels"):
        lora_bench.training_step_memory(model, {"input_ids": torch.ones(1, 4, dtype=torch.long)},
                                        torch.optim.AdamW(model.parameters()))


@pytest.mark.parametrize("kwargs", [{"steps": 0}, {"batch_size": "4"}, {"target_modules": ()}, {"lang": "fr"}])
def test_bad_arguments_get_korean_errors(kwargs):
    with pytest.raises(HflabError) as e:
        lora_bench.bench_lora(**kwargs)
    assert any("\uac00" <= ch <= "\ud7a3" for ch in str(e.value))


@pytest.mark.timeout(300)
def test_bench_lora_small_run():
    result = lora_bench.bench_lora(steps=1, warmup=1, batch_size=2, max_length=64)
    json.dumps(result)  # JSON-serializable, as `hflab bench lora` prints it
    assert result["model"] == MODEL
    assert result["lora"]["total_params"] > 1e8
    assert result["trainable_fraction"] < 0.01, result["trainable_fraction"]
    assert result["lora"]["weights_files"] == ["adapter_model.safetensors"]
    assert result["adapter_to_model_bytes"] < 0.02, result["adapter_to_model_bytes"]
    # peak resident memory of each fresh child process (ru_maxrss): whole peaks, and peaks above the imports
    assert result["peak_rss_ratio"] <= 0.7, (result["lora"]["peak_rss_mb"], result["full"]["peak_rss_mb"])
    assert result["peak_above_imports_ratio"] <= 0.7, result["peak_above_imports_ratio"]
    # the account explains the gap: full fine-tuning adds gradients + two AdamW states per weight
    full = result["full"]["accounted_mb"]
    assert full["optimizer_state"] == pytest.approx(2 * full["weights"], rel=0.01)
    assert result["lora"]["accounted_mb"]["gradients"] < 0.01 * full["gradients"]
    # same data in both: the first (warm-up) loss is computed before any update, so it is identical
    assert result["lora"]["losses"][0] == pytest.approx(result["full"]["losses"][0], abs=1e-3)
    assert result["step_time_ratio"] > 0
