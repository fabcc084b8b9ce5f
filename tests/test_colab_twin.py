"""The install cell on Colab's own package set, proven in the Colab twin (hflab.colab.twin).

The twin holds Colab's versions (hflab/colab/pip-freeze.gpu.txt) of every package the course touches
and a stand-in google-colab that declares Colab's == pins. In it the real install cell runs in a
Jupyter kernel that imported pandas first, as Colab's does: no resolver conflict, exactly the reviewed
changes (hflab/colab/install_changes.toml), the protected packages untouched, one restart when a
module the kernel had imported changed, then a no-op. Every lesson then runs in the twin with its
offline parameters, on Colab's pandas, matplotlib, ipywidgets 7, IPython 7.34 and ipykernel 6.17.
A dry run resolves the same install for Python 3.13 against the whole freeze.
"""
from __future__ import annotations

import json
import os
import sys

import pytest

from hflab import colab, course
from hflab.colab import twin
from hflab.runner import discover, run_notebook

pytestmark = pytest.mark.twin
REPORT = twin.twin_dir() / "report.json"


@pytest.fixture(scope="session")
def installed_twin():
    """A fresh copy of the twin with the install cell run twice (first: install + restart; second: no-op)."""
    venv = twin.fresh_copy()
    wheel = twin.hflab_wheel()
    first = twin.run_install_cell(venv, wheel.as_uri())
    second = twin.run_install_cell(venv, wheel.as_uri())
    check = twin.pip_check(venv)
    report = {
        "changed": {n: list(v) for n, v in colab.changed(first.before, first.after).items()},
        "first_s": round(first.seconds, 1), "second_s": round(second.seconds, 1),
        "restarted": first.kernel_died, "pip_check": check.stdout.strip(), "pip_check_rc": check.returncode,
        "first_output": first.output, "second_output": second.output,
    }
    REPORT.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    return venv, first, second, check


def test_install_has_no_conflicts(installed_twin):
    _, first, _, check = installed_twin
    assert "ERROR" not in first.output, f"pip이 충돌을 보고했습니다:\n{first.output}"
    assert check.returncode == 0, f"설치 후 pip check 실패 (Colab 패키지의 요구와 충돌):\n{check.stdout}"


def test_install_changes_exactly_the_reviewed_list(installed_twin):
    _, first, _, _ = installed_twin
    diff = colab.changed(first.before, first.after)
    allowed = colab.allowed_changes()
    unexpected = sorted(set(diff) - set(allowed))
    unused = sorted(set(allowed) - set(diff))
    assert not unexpected, f"install_changes.toml 에 없는 변경: {[(n, diff[n]) for n in unexpected]}"
    assert not unused, f"install_changes.toml 에는 있지만 바뀌지 않은 패키지 (목록에서 지우세요): {unused}"
    for name in colab.PROTECTED:
        assert first.before.get(name) == first.after.get(name), f"{name} 이(가) 바뀌었습니다: {diff.get(name)}"
    runtime = colab.freeze()
    lacking = [n for n, (old, _) in diff.items() if old is None and n in runtime]
    assert not lacking, f"쌍둥이에 Colab이 가진 패키지가 없어 새로 설치됐습니다: {lacking} → hflab/colab/twin.py 의 STACK 에 넣으세요"
    assert first.after["google-colab"] == "1.0.0"


def test_first_run_explains_and_restarts_once_then_noop(installed_twin):
    _, first, second, _ = installed_twin
    stale = colab.imported_changes(colab.changed(first.before, first.after), {"pandas": None, "pyarrow": None})
    assert "pyarrow" in stale, "Colab 커널은 pandas(와 pyarrow)를 불러온 채 시작합니다: pyarrow 가 바뀌면 재시작해야 합니다"
    assert first.kernel_died, "바뀐 모듈을 이미 불러왔는데 런타임이 다시 시작되지 않았습니다"
    assert "런타임을 한 번 다시 시작해야 합니다" in first.output and "pyarrow" in first.output
    assert "✅ 설치 완료" in first.output and "Traceback" not in first.output
    assert len(first.output.splitlines()) <= 12, f"설치 출력이 너무 깁니다:\n{first.output}"
    assert not second.kernel_died and second.before == second.after
    assert "이미 설치되어 있습니다" in second.output
    assert second.seconds < 5, f"두 번째 실행이 {second.seconds:.1f}s 걸렸습니다 (몇 초 안이어야 함)"


def test_no_network_gets_a_korean_message(tmp_path):
    """A kernel that cannot reach the package index: pip fails, the cell says what to do, nothing changes."""
    venv = twin.fresh_copy("no-network")
    wheel = twin.hflab_wheel(tmp_path)
    run = twin.run_install_cell(venv, wheel.as_uri(), pre_import=(),
                                env={"PIP_CONFIG_FILE": os.devnull, "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
                                     "PIP_RETRIES": "0", "PIP_TIMEOUT": "2"})
    assert "설치 실패" in run.output and "인터넷 연결" in run.output, run.output
    assert not run.kernel_died and run.before == run.after
    assert "Traceback (most recent call last)" not in run.output


def test_dry_run_for_colab_python_313(tmp_path):
    """The same install resolved for Python 3.13 against Colab's whole freeze (wheels only, no install)."""
    from hflab.colab import dry_run

    wheel = twin.hflab_wheel(tmp_path)
    result = dry_run.resolve(wheel, tmp_path / "report.json")
    assert result.ok, f"Python 3.13 에서 설치를 풀 수 없습니다:\n{result.error}"
    assert set(result.changed) == set(colab.allowed_changes()), \
        f"Python 3.13 에서의 변경이 install_changes.toml 과 다릅니다: {set(result.changed) ^ set(colab.allowed_changes())}"
    assert not set(result.changed) & set(colab.PROTECTED), result.changed
    assert result.checked > 550, f"Colab 패키지 {result.checked}개만 확인했습니다"
    report = json.loads(REPORT.read_text()) if REPORT.is_file() else {}
    report["py313"] = {"changed": result.changed, "checked": result.checked, "skipped": result.skipped}
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, ensure_ascii=False, indent=1))


@pytest.mark.notebook
@pytest.mark.parametrize("path", discover(), ids=[p.stem for p in discover()])
def test_lesson_runs_in_the_twin(path, installed_twin, build_dir, canary, course_models):
    """Each lesson, offline parameters, in the twin's kernel (Colab's pandas, matplotlib, ipywidgets 7 ...)."""
    venv = installed_twin[0]
    out = build_dir / "twin" / path.name
    work = twin.twin_dir() / "work"
    (work / "build").mkdir(parents=True, exist_ok=True)
    models = work / "build" / "models"
    if not models.exists():  # lesson 08's classifier, built by `make models` with the same hflab code
        models.symlink_to(course.build_dir() / "models", target_is_directory=True)
    r = run_notebook(path, out, kernel_name=twin.KERNEL_NAME, cwd=work, checkout_on_path=False,
                     env={"JUPYTER_PATH": str(twin.kernelspec(venv))})
    assert r.ok, f"{path.name}: Colab 쌍둥이에서 실패: {r.error}"
    assert canary not in out.read_text(encoding="utf-8")
