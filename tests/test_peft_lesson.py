"""Lesson 09 (PEFT): the GPU-only QLoRA cell, checked as far as a machine without a GPU can.

No machine here has a GPU, so a T4 and an A100 stand in (torch.cuda answering as on each device,
tests/test_env.py): the cell's own compute-dtype lines run against them. The training part needs
bitsandbytes on CUDA; its source is checked for the finite-loss check and what it records.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import torch

from test_env import _stand_in

NB = Path(__file__).resolve().parent.parent / "notebooks" / "09_peft.ipynb"


@pytest.fixture(scope="module")
def qlora_cell() -> str:
    (cell,) = [c.source for c in nbformat.read(NB, as_version=4).cells
               if c.cell_type == "code" and "BitsAndBytesConfig(" in c.source]
    return cell


def _dtype_lines(cell: str) -> str:
    lines = cell.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("gpu_info ="))
    return "\n".join(lines[start:start + 2])


@pytest.mark.parametrize("device, expected", [("Tesla T4", torch.float16), ("NVIDIA A100-SXM4-40GB", torch.bfloat16)])
def test_qlora_compute_dtype_is_the_gpus_hardware_dtype(monkeypatch, qlora_cell, device, expected):
    import hflab

    _stand_in(monkeypatch, device)
    ns = {"hflab": hflab, "torch": torch}
    exec(_dtype_lines(qlora_cell), ns)
    assert ns["compute_dtype"] is expected


def test_qlora_config_builds_with_the_chosen_dtype(qlora_cell):
    from transformers import BitsAndBytesConfig

    import hflab

    ns = {"hflab": hflab, "torch": torch, "BitsAndBytesConfig": BitsAndBytesConfig}
    start = qlora_cell.index("gpu_info =")
    exec(qlora_cell[start:qlora_cell.index("q_params =")], ns)
    assert ns["bnb_config"].bnb_4bit_compute_dtype == ns["compute_dtype"]


def test_qlora_cell_checks_the_loss_is_finite_and_records_what_it_measured(qlora_cell):
    assert "math.isfinite(l) for l in q_losses" in qlora_cell and "NaN" in qlora_cell
    assert "fp16=compute_dtype == torch.float16" in qlora_cell and "bf16=compute_dtype == torch.bfloat16" in qlora_cell
    assert "hflab.report.record(qlora_peak_gb=" in qlora_cell and "qlora_step_s=" in qlora_cell
    assert "torch.cuda.max_memory_allocated()" in qlora_cell
