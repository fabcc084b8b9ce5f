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

from hflab import course
from hflab.runner import discover, notebook_env, offline_parameters, run_notebook
from hflab.student import exercise_results, expected_exercises

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
