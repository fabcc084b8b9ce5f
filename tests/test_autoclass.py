"""Lesson 04 (AutoClass): the notebook's structure and its checkers (fast, no notebook execution).

The notebook itself is executed by tests/test_notebooks.py; here we check that the facts the
issue asks for are asserted in it, that every checker is used, and a few checker edge cases.
"""
from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from hflab import catalog
from hflab.exercises import autoclass

NB = Path(__file__).resolve().parent.parent / "notebooks" / "04_autoclass.ipynb"


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NB, as_version=4)


@pytest.fixture(scope="module")
def source(nb):
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def test_default_parameters_are_catalogued_hub_checkpoints(nb):
    (params,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    values = {t.id: node.value.value for node in ast.parse(params.source).body if isinstance(node, ast.Assign)
              for t in node.targets if isinstance(node.value, ast.Constant)}
    for name in ("ENCODER_MODEL", "SENTIMENT_MODEL"):
        e = catalog.entry(values[name])
        assert "04_autoclass" in e.lessons and e.params_m, f"{name}: {e.repo_id} needs lesson + params_m in the catalog"
        assert not e.mirror, f"{name}: the default is a real Hub checkpoint, the mirror is the offline value"


def test_show_facts_are_asserted_in_the_notebook(source):
    # shapes of base and head outputs, the save/load round trip, memory per dtype measured
    assert "assert base_out.last_hidden_state.shape == (B, T, H)" in source
    assert "assert clf_out.logits.shape == (B, clf.config.num_labels)" in source
    assert "assert torch.equal(logits_before, logits_after)" in source
    assert "p.numel() * p.element_size()" in source and "assert fp16_bytes * 2 == fp32_bytes" in source
    assert "output_loading_info=True" in source and "hflab.report.headline(" in source
    assert "torch_dtype=" in source and "dtype=torch.float16" in source  # old form shown, current form used


def test_every_checker_is_used_with_a_solution_region(nb):
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    for check in autoclass.__dict__.values():
        if not hasattr(check, "exercise_id"):
            continue
        using = [s for s in cells if f"hflab.exercises.autoclass.{check.__name__}(" in s]
        assert using, f"{check.__name__} is not used in the notebook"
        assert all("# BEGIN SOLUTION" in s and "# END SOLUTION" in s for s in using)


def test_auto_class_checker_accepts_class_names_and_rejects_unknown_tasks():
    from transformers import AutoModel

    ok = autoclass.check_auto_classes.check(
        {"text-classification": "AutoModelForSequenceClassification", "feature-extraction": AutoModel},
        tasks=("text-classification", "feature-extraction"))
    assert "AutoModelForSequenceClassification" in ok
    res = autoclass.check_auto_classes({"no-such-task": AutoModel}, tasks="no-such-task")
    assert not res.passed and "파이프라인 작업 이름" in res.message


def test_model_bytes_checker_takes_dtype_aliases():
    import torch

    model = torch.nn.Linear(10, 3)  # 33 parameters
    assert autoclass.check_model_bytes(33 * 2, model, "fp16").passed
    assert autoclass.check_model_bytes(33 * 4, model, torch.float32).passed
    res = autoclass.check_model_bytes(33 * 2, model, "int4")
    assert not res.passed and "float32, float16, bfloat16" in res.message
