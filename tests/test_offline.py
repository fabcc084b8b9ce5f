"""The offline mirror: real weights load by Hub id with HF_HUB_OFFLINE=1, builds are idempotent,
and a broken mirror is detected and repaired."""
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from hflab import offline


@pytest.fixture(scope="module", autouse=True)
def built_mirror():
    t = time.perf_counter()
    offline.build_mirror(log=lambda s: None)
    return time.perf_counter() - t


def test_already_built_mirror_is_checked_in_under_5_seconds():
    t = time.perf_counter()
    statuses = offline.build_mirror(log=lambda s: None)
    assert all(s.ok for s in statuses)
    assert time.perf_counter() - t < 5


def test_minilm_loads_by_repo_id_offline():
    code = ("from transformers import AutoModel; m = AutoModel.from_pretrained('sentence-transformers/all-MiniLM-L6-v2');"
            "print(sum(p.numel() for p in m.parameters()))")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "HF_HUB_OFFLINE": "1"},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert 22_000_000 < int(out.stdout.split()[-1]) < 23_000_000  # 22.7M parameters


def test_smollm2_greedy_completes_paris():
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained("HuggingFaceTB/SmolLM2-135M-Instruct")
    t = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained("HuggingFaceTB/SmolLM2-135M-Instruct")
    assert time.perf_counter() - t < 5, "safetensors reload should take about a second"
    ids = tok("The capital of France is", return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=5, do_sample=False)
    assert "Paris" in tok.decode(out[0][ids["input_ids"].shape[1]:])


def test_snapshot_notes_its_origin():
    st = offline.status("HuggingFaceTB/SmolLM2-135M-Instruct")
    note = (st.snapshot / "HFLAB_MIRROR.md").read_text()
    assert "Q4_1 GGUF" in note and "APPROXIMATE" in note


def test_evaluate_metrics_offline_match_sklearn():
    import evaluate
    from sklearn.metrics import accuracy_score, f1_score

    preds, refs = [0, 1, 1, 0, 1, 1], [0, 1, 0, 0, 1, 0]
    assert evaluate.load("accuracy").compute(predictions=preds, references=refs)["accuracy"] == accuracy_score(refs, preds)
    assert evaluate.load("f1").compute(predictions=preds, references=refs)["f1"] == pytest.approx(f1_score(refs, preds))
    macro = evaluate.load("f1").compute(predictions=preds, references=refs, average="macro")["f1"]
    assert macro == pytest.approx(f1_score(refs, preds, average="macro"))


def test_half_written_or_deleted_snapshot_is_detected_and_rebuilt(tmp_path):
    repo = "sentence-transformers/all-MiniLM-L6-v2"
    st = offline.build_model(repo, cache=tmp_path)
    assert st.state == "ok"
    # half-written: the marker (written last) is missing
    (st.snapshot / offline.MARKER).unlink()
    assert offline.status(repo, tmp_path).state == "partial"
    st = offline.build_model(repo, cache=tmp_path)
    assert st.state == "ok"
    # a truncated weight file
    blob = (st.snapshot / "model.safetensors").resolve()
    with open(blob, "r+b") as f:
        f.truncate(1000)
    bad = offline.status(repo, tmp_path)
    assert bad.state == "partial" and "model.safetensors" in bad.detail
    # deleted entirely
    shutil.rmtree(tmp_path / "models--sentence-transformers--all-MiniLM-L6-v2")
    assert offline.status(repo, tmp_path).state == "missing"
    assert offline.build_model(repo, cache=tmp_path).state == "ok"


def test_real_hub_snapshot_is_left_alone(tmp_path):
    repo = "sentence-transformers/all-MiniLM-L6-v2"
    base = tmp_path / "models--sentence-transformers--all-MiniLM-L6-v2"
    real = base / "snapshots" / ("a" * 40)
    real.mkdir(parents=True)
    (real / "config.json").write_text("{}")
    (base / "refs").mkdir()
    (base / "refs" / "main").write_text("a" * 40)
    st = offline.build_model(repo, cache=tmp_path)
    assert st.state == "real"
    assert (base / "refs" / "main").read_text() == "a" * 40


def test_doctor_on_empty_cache_names_the_fix(tmp_path):
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "hflab.cli", "doctor"], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 1
    assert "없음" in out.stdout and "make mirror" in out.stdout
