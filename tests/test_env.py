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
