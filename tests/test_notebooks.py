"""Every lesson notebook is a test.

Static checks (fast): committed without outputs, the standard opening cells, exactly one
`parameters` cell that defines every offline parameter, a 정리 at the end.

Execution (marked `notebook`): run 1 with papermill in a fresh kernel with the offline
parameters (hflab/offline_params.yaml) and a canary HF_TOKEN — it must finish without error
within the lesson's budget and never show the canary; run 2 with nbval --nbval-lax on run 1's
output — the notebook runs again in a fresh kernel and the cells tagged `nbval-check-output`
must reproduce run 1's outputs.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys

import nbformat
import pytest

import re

from hflab import course
from hflab.report import recorded_values
from hflab.runner import discover, notebook_env, offline_parameters, run_notebook
from hflab.student import exercise_results, expected_exercises
from measured_bars import BARS, failed_bars

NOTEBOOKS = discover()
IDS = [p.stem for p in NOTEBOOKS]


def _nb(path):
    return nbformat.read(path, as_version=4)


def _params_cell(nb):
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    return cells


def test_there_are_lessons():
    assert NOTEBOOKS, "notebooks/NN_*.ipynb 가 하나도 없습니다"
    assert NOTEBOOKS[0].stem == "00_setup"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs(path):
    nb = _nb(path)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path.name}: 출력이 저장된 셀 {dirty} — 출력을 지우고 커밋하세요 (jupyter nbconvert --clear-output)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_standard_opening_and_summary(path):
    nb = _nb(path)
    title = nb.cells[0]
    assert title.cell_type == "markdown" and title.source.startswith(f"# {path.stem[:2]}."), "제목 셀: '# NN. 제목'"
    assert course.colab_badge(path.name) in title.source, "제목 셀에 이 노트북의 Colab 배지가 있어야 합니다"
    install = nb.cells[1]
    assert "install" in install.metadata.get("tags", []) and install.source == course.INSTALL_CELL, \
        "두 번째 셀은 hflab.course.INSTALL_CELL 그대로(태그 install)여야 합니다"
    code = "\n".join(c.source for c in nb.cells[:6] if c.cell_type == "code")
    assert "import hflab" in code and "hflab.env.summary()" in code, "여는 셀에 import hflab + hflab.env.summary()"
    md = [c for c in nb.cells if c.cell_type == "markdown"]
    assert any(c.source.lstrip().startswith("## 정리") for c in md[-3:]), "끝에 '## 정리' 셀이 있어야 합니다"
    assert any("왜 중요한가" in c.source for c in md), "'왜 중요한가' 문장이 있어야 합니다"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_one_parameters_cell_defining_offline_params(path):
    nb = _nb(path)
    cells = _params_cell(nb)
    assert len(cells) == 1, f"{path.name}: 'parameters' 태그 셀이 정확히 하나여야 합니다 (지금 {len(cells)}개)"
    names = {t.id for node in ast.walk(ast.parse(cells[0].source)) if isinstance(node, ast.Assign)
             for t in node.targets if isinstance(t, ast.Name)}
    missing = set(offline_parameters(path.stem)) - names
    assert not missing, f"오프라인 매개변수 {missing} 가 parameters 셀에 없습니다 (offline_params.yaml 과 맞추세요)"


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_offline_twice(path, build_dir, canary, course_models):
    out = build_dir / path.name
    r = run_notebook(path, out)
    assert r.ok, f"{path.name} 실행 실패: {r.error}"
    text = out.read_text(encoding="utf-8")
    assert canary not in text, f"{path.name}: 출력에 토큰(canary)이 나타났습니다"
    budget = course.lesson(path.stem).budget_s
    assert r.seconds <= budget, f"{path.name}: {r.seconds:.0f}s > 예산 {budget}s"

    # every exercise's solution passes its checker (the student build strips them: tests/test_student.py)
    nb = _nb(out)
    ids = {e for _, e in expected_exercises(nb)}
    results = exercise_results(nb)
    assert len(ids) >= (2 if path.stem == "00_setup" else 3), f"{path.name}: 연습 문제가 부족합니다 ({len(ids)}개)"
    assert {x["id"] for x in results} == ids, f"{path.name}: 실행되지 않은 연습 문제 {ids - {x['id'] for x in results}}"
    failed = [x for x in results if not x["passed"]]
    assert not failed, f"{path.name}: 정답 셀이 검사기를 통과하지 못했습니다: {failed}"

    # the bars on what the lesson measured (the lesson only records them: tests/measured_bars.py)
    missed = failed_bars(path.stem, recorded_values(nb))
    assert not missed, f"{path.name}: 측정값이 기준에 못 미칩니다: {missed} (기록: {recorded_values(nb)})"

    # run 2: nbval re-executes run 1's notebook in a fresh kernel and compares tagged cells
    env = notebook_env()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
         "--nbval-cell-timeout", str(budget * 3), "--rootdir", str(build_dir), str(out)],
        cwd=path.parent, env=env, capture_output=True, text=True, timeout=budget * 4,
    )
    tail = (proc.stdout + proc.stderr)[-3000:]
    assert canary not in proc.stdout + proc.stderr, f"{path.name}: 두 번째 실행 로그에 토큰(canary)이 나타났습니다"
    assert proc.returncode == 0, f"{path.name}: 두 번째 실행(nbval)이 다릅니다/실패했습니다:\n{tail}"


# --- lesson code checks only what holds on every device (issue 22) ----------------------------------------
# A name that holds a measured timing, accuracy, memory or similarity value. An assert that orders such a
# value (<, >, <=, >=) or compares it to a float stops "모두 실행" wherever the number comes out otherwise.
MEASURED = re.compile(r"speed|second|_s$|^t_|time|elapsed|acc|f1|loss|mem|_gb$|_mb$|peak|ratio|conf|sim|margin|diff"
                      r"|per_s|latency|throughput", re.I)
# Asserts on such names that hold on every device, each with the reason.
DEVICE_INDEPENDENT = {
    ("11_inference_api", "elapsed >= 1.0"): "the server's own rate limit makes the client wait; a lower bound",
}


def _names(node) -> set[str]:
    """Variable, attribute and subscript-key names in an expression (timing['epoch_s'] gives epoch_s)."""
    found = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            found.add(n.id)
        elif isinstance(n, ast.Attribute):
            found.add(n.attr)
        elif isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Constant) and isinstance(n.slice.value, str):
            found.add(n.slice.value)
    return found


def _stated_tolerance(node) -> bool:
    """A side that is a named constant tolerance the lesson states and explains (RESUME_TOL, ATOL ...)."""
    return isinstance(node, ast.Name) and node.id.isupper() and "TOL" in node.id


def _measured_compares(test) -> bool:
    for n in ast.walk(test):
        if not isinstance(n, ast.Compare):
            continue
        sides = [n.left, *n.comparators]
        ordered = any(isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for op in n.ops)
        floats = any(isinstance(x, ast.Constant) and isinstance(x.value, float) for x in sides)
        if any(_stated_tolerance(x) for x in sides):
            continue
        if (ordered or floats) and any(MEASURED.search(name) for side in sides for name in _names(side)):
            return True
    return False


def code_nodes(path):
    """(cell index, AST node) for every node of a lesson's code cells (IPython magics dropped)."""
    for i, cell in enumerate(_nb(path).cells):
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(code)):
            yield i, node


def lesson_asserts(path):
    """(cell index, assert node) for every assert in a lesson's code."""
    return [(i, node) for i, node in code_nodes(path) if isinstance(node, ast.Assert)]


def test_the_measured_value_detector_catches_what_it_is_for():
    caught = ["speedup >= 2.5", "en_acc >= 0.85", "max_weight_diff == 0.0", "memory_ratio <= 0.7",
              "total_train_s < 30", "loss_after < loss_before", "similarity[0, 1] > similarity[0, 2]",
              "abs(measured_gb - computed_gb) / computed_gb < 0.02", "t_second < t_first / 2",
              "timing['epoch_s']['dynamic_grouped'] < timing['epoch_s']['dynamic']"]
    passed = ["len(out) == len(texts)", "torch.equal(out_a, out_b)", "503 in seen", "bpe_ko < en_wp_ko",
              "reply['role'] == 'assistant'", "math.isfinite(loss_after)", "max_weight_diff <= RESUME_TOL"]
    assert all(_measured_compares(ast.parse(c, mode="eval").body) for c in caught)
    assert not any(_measured_compares(ast.parse(c, mode="eval").body) for c in passed)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_lesson_code_asserts_no_measured_value(path):
    """Bars on timings, accuracy, memory and similarity live in tests/measured_bars.py, read from what the
    lesson recorded; a lesson's own asserts check what is true on every device (shapes, labels, equality
    within a stated tolerance)."""
    offending = [f"cell {i}: assert {ast.unparse(node.test)}" for i, node in lesson_asserts(path)
                 if _measured_compares(node.test) and (path.stem, ast.unparse(node.test)) not in DEVICE_INDEPENDENT]
    assert not offending, (f"{path.name}: 측정값을 assert 합니다 (T4나 바쁜 CPU에서 '모두 실행'이 멈춥니다). "
                           f"hflab.report.record 로 기록하고 기준은 tests/measured_bars.py 에 두세요: {offending}")


def test_every_bar_belongs_to_a_lesson_and_every_allowance_still_exists():
    stems = set(IDS)
    assert set(BARS) <= stems
    for stem, code in DEVICE_INDEPENDENT:
        path = next(p for p in NOTEBOOKS if p.stem == stem)
        assert code in {ast.unparse(n.test) for _, n in lesson_asserts(path)}, f"stale allowance: {stem}: {code}"


# --- public APIs only (issue 22): private names move between releases ---------------------------------------
# (lesson, dotted name) -> why no public API does it. Empty: every lesson uses public APIs.
PRIVATE_ALLOWED: dict[tuple[str, str], str] = {}


def private_uses(path) -> list[str]:
    """`x._name` attribute reads and imports of `_module` / `_name` in a lesson's code (dunders are fine)."""
    found = []

    def private(name: str) -> bool:
        return name.startswith("_") and not name.startswith("__")

    for i, n in code_nodes(path):
        if isinstance(n, ast.Attribute) and private(n.attr):
            found.append((i, ast.unparse(n)))
        elif isinstance(n, ast.ImportFrom) and n.module:
            names = [n.module] if any(private(p) for p in n.module.split(".")) else []
            found += [(i, f"{n.module}.{a.name}") for a in n.names if private(a.name)] + [(i, m) for m in names]
        elif isinstance(n, ast.Import):
            found += [(i, a.name) for a in n.names if any(private(p) for p in a.name.split("."))]
    return [f"cell {i}: {name}" for i, name in found if (path.stem, name) not in PRIVATE_ALLOWED]


def test_the_private_api_finder_finds_what_it_is_for(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "%time x = 1\nfrom huggingface_hub.inference._providers import PROVIDERS\nprint(ds._fingerprint)\n"
        "import transformers._x\nfrom datasets.fingerprint import Hasher, _private\nobj.__class__\n")])
    path = tmp_path / "99_probe.ipynb"
    nbformat.write(nb, path)
    found = sorted(private_uses(path))
    assert found == ["cell 0: datasets.fingerprint._private", "cell 0: ds._fingerprint",
                     "cell 0: huggingface_hub.inference._providers", "cell 0: transformers._x"], found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_lesson_code_uses_public_apis_only(path):
    found = private_uses(path)
    assert not found, (f"{path.name}: 라이브러리의 비공개 이름(_로 시작)을 씁니다. 릴리스마다 바뀔 수 있어요. "
                       f"공개 API로 바꾸거나, 공개 API가 없다면 PRIVATE_ALLOWED 에 이유와 함께 적으세요: {found}")
