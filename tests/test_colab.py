"""hflab.colab: Colab's published runtime, the reviewed change list, and the install cell's logic
(fast; the twin itself is tests/test_colab_twin.py)."""
import sys

import pytest

from hflab import colab, course
from hflab.errors import HflabError


def test_freeze_is_colabs_published_runtime():
    f = colab.freeze()
    assert len(f) > 600
    assert f["torch"] == "2.11.0+cu128" and f["pandas"] == "2.2.3" and f["ipywidgets"] == "7.7.1"
    assert f["google-colab"].startswith("file:///colabtools")
    assert colab.python_version() == "3.13.15"
    assert colab.colab_pins()["ipython"] == "7.34.0" and colab.colab_pins()["tornado"] == "6.5.7"


def test_every_allowed_change_has_a_reason_and_spares_the_protected():
    allowed = colab.allowed_changes()
    assert all(len(why) > 15 for why in allowed.values())
    assert not set(allowed) & set(colab.PROTECTED)


def _exec_cell(monkeypatch, capsys, colab_env: bool):
    if colab_env:
        monkeypatch.setenv("COLAB_RELEASE_TAG", "release-test")
    else:
        monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    exec(compile(course.INSTALL_CELL, "install-cell", "exec"), {})
    return capsys.readouterr().out


def test_install_cell_does_nothing_locally(monkeypatch, capsys):
    assert _exec_cell(monkeypatch, capsys, colab_env=False) == ""


def test_install_cell_is_a_noop_when_hflab_is_there(monkeypatch, capsys):
    monkeypatch.setattr("os.path.exists", lambda p: False if p == "/dev/nvidia0" else __import__("os").path.isfile(p))
    assert "이미 설치되어 있습니다" in _exec_cell(monkeypatch, capsys, colab_env=True)


def test_install_cell_refuses_an_old_python_in_korean(monkeypatch, capsys):
    monkeypatch.setattr(sys, "version_info", (3, 9, 18, "final", 0))
    with pytest.raises(SystemExit) as e:
        _exec_cell(monkeypatch, capsys, colab_env=True)
    assert "Python 3.10 이상" in str(e.value) and "런타임 유형 변경" in str(e.value)


def test_changes_to_imported_modules_ask_for_one_restart(capsys):
    import pyarrow  # noqa: F401  (imported, as Colab's kernel has it at start)

    now = colab.installed()
    before = dict(now, pyarrow="18.1.0")
    before.pop("hflab", None)
    result = colab.after_install(before, "", restart=False)
    out = capsys.readouterr().out
    assert result["restart"] == ["pyarrow"]
    assert "pyarrow 18.1.0→" in out and "런타임을 한 번 다시 시작해야 합니다" in out and "모두 실행" in out
    assert set(result["changed"]) == {"pyarrow", "hflab"}


def test_no_restart_when_nothing_imported_changed():
    assert colab.imported_changes({"some-new-package": (None, "1.0")}) == {}  # new: nothing old was loaded
    assert colab.imported_changes({"pyyaml": ("5.0", "6.0")}, modules={"json": None}) == {}
    assert colab.imported_changes({"pyyaml": ("5.0", "6.0")}, modules={"yaml": None}) == {"pyyaml": ("5.0", "6.0")}


def test_missing_torch_gets_a_korean_fix(monkeypatch):
    monkeypatch.setattr(colab, "_missing_course_needs", lambda: ["torch"])
    with pytest.raises(HflabError) as e:
        colab.after_install(colab.installed(), "", restart=False)
    assert "torch" in str(e.value) and "런타임 연결 해제 및 삭제" in str(e.value)


def test_pip_errors_are_shown_short():
    pip_output = "Collecting x\nERROR: pip's dependency resolver does not currently take into account ...\n"
    import io
    import contextlib

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        colab.after_install(colab.installed(), pip_output, restart=False)
    assert "⚠️ pip: ERROR: pip's dependency resolver" in buf.getvalue()
