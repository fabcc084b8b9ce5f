"""hflab doctor: a missing package or a wrong version is named in Korean with the one fixing command."""
from hflab import env


def _by_item(rows):
    return {c.item: c for c in rows}


def test_all_green_here():
    rows = env.checks(mirror=False)
    bad = [c for c in rows if not c.ok]
    assert not bad, bad


def test_wrong_version_named_with_fix(monkeypatch):
    real = env.installed
    monkeypatch.setattr(env, "installed", lambda n: "4.57.0" if n == "transformers" else real(n))
    c = _by_item(env.checks(mirror=False))["transformers"]
    assert not c.ok and "고정 버전 5.23.0과 다름" in c.value
    assert "pip install transformers==5.23.0" in c.fix


def test_missing_package_named_with_fix(monkeypatch):
    real = env.installed
    monkeypatch.setattr(env, "installed", lambda n: None if n == "peft" else real(n))
    c = _by_item(env.checks(mirror=False))["peft"]
    assert not c.ok and c.value == "설치되지 않음" and c.fix == "make setup"


def test_colab_without_gpu_says_how_to_switch_to_t4(monkeypatch):
    monkeypatch.setattr(env, "in_colab", lambda: True)
    c = _by_item(env.checks(mirror=False))["GPU"]
    assert not c.ok and "T4 GPU" in c.fix and "런타임 유형 변경" in c.fix


def test_summary_prints_one_line(capsys):
    env.summary()
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "hflab" in out


# --- bf16 advice on the three machines learners meet ------------------------------------------
# torch.cuda answers as it does on each device (a T4's is_bf16_supported() is True: it counts software
# emulation; with including_emulation=False it is False). No machine here has a GPU, so these stand in.
import pytest
import torch

DEVICES = {
    "Tesla T4": dict(capability=(7, 5), emulated=True, hardware=False, total=15.8e9),
    "NVIDIA A100-SXM4-40GB": dict(capability=(8, 0), emulated=True, hardware=True, total=42.4e9),
}


def _stand_in(monkeypatch, name):
    d = DEVICES[name]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: name)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda i=0: d["capability"])
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda i=0: (d["total"] * 0.9, d["total"]))
    monkeypatch.setattr(torch.cuda, "is_bf16_supported",
                        lambda including_emulation=True: d["emulated"] if including_emulation else d["hardware"])


def test_t4_gets_fp16_although_is_bf16_supported_says_true(monkeypatch, capsys):
    _stand_in(monkeypatch, "Tesla T4")
    assert torch.cuda.is_bf16_supported() is True  # the trap the course teaches
    g = env.gpu()
    assert g.capability == (7, 5) and g.bf16 is False and g.bf16_emulated is True
    assert g.dtype == "float16"
    assert "float16" in g.advice() and "bf16 하드웨어 없음" in g.advice() and "에뮬레이션" in g.advice()
    c = _by_item(env.checks(mirror=False))["bf16 하드웨어"]
    assert c.value.startswith("아니오") and "float16" in c.value
    env.summary()
    out = capsys.readouterr().out
    assert "bf16 하드웨어 X → float16" in out and "Tesla T4" in out


def test_a100_gets_bf16(monkeypatch, capsys):
    _stand_in(monkeypatch, "NVIDIA A100-SXM4-40GB")
    g = env.gpu()
    assert g.bf16 is True and g.dtype == "bfloat16" and "bfloat16" in g.advice()
    assert _by_item(env.checks(mirror=False))["bf16 하드웨어"].value.startswith("예")
    env.summary()
    assert "bf16 하드웨어 O → bfloat16" in capsys.readouterr().out


def test_cpu_only_gets_fp32(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    g = env.gpu()
    assert g.name is None and g.bf16 is False and g.dtype == "float32"
    assert "float32" in g.advice() and "T4 GPU" in g.advice()
    assert "bf16 하드웨어" not in _by_item(env.checks(mirror=False))


@pytest.mark.parametrize("cap,hw", [((7, 5), False), ((7, 0), False), ((8, 0), True), ((8, 9), True), ((9, 0), True), (None, False)])
def test_bf16_hardware_is_compute_capability_8(cap, hw):
    assert env.bf16_hardware(cap) is hw
