"""The Colab twin: an environment with Colab's versions of everything the course touches.

Colab's runtime cannot be had here (Python 3.13 with a CUDA torch), so the tests prove what they can:

1. :func:`build_base` makes ``build/colab-twin/base``: a venv on this machine's Python holding Colab's
   versions (``hflab/colab/pip-freeze.gpu.txt``) of every package the course's stack touches, plus a
   stand-in ``google-colab`` distribution that declares Colab's ``==`` pins, so pip meets the same
   conflicts there as on Colab. torch is the CPU wheel of ``make setup`` (Colab's is CUDA for 3.13).
   Built once and reused while its inputs (freeze, pins, package list) stay the same.
2. :func:`fresh_copy` copies the base for one test session; :func:`run_install_cell` runs the real
   install cell (``hflab.course.INSTALL_CELL``) in a Jupyter kernel of that copy, with Colab's
   environment variable set and pandas imported first, as Colab's kernel does at start.
3. :mod:`hflab.colab.dry_run` resolves the same install for Python 3.13 against the whole freeze.
4. :func:`kernelspec` lets papermill run every lesson in the twin (tests/test_colab_twin.py).

Used in: tests/test_colab_twin.py, ``make twin``.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import COLAB_PINNED, HERE, colab_pins, freeze, installed

#: What the course's stack touches: the base gets Colab's version of each (and of their dependencies).
STACK = (
    "transformers", "huggingface-hub", "datasets", "peft", "accelerate", "tokenizers", "safetensors",
    "gradio", "gradio-client", "numpy", "pandas", "pyarrow", "matplotlib", "ipywidgets", "scikit-learn",
    "psutil", "rich", "tqdm", "typer", "pyyaml", "nbformat", "fastapi", "uvicorn", "httptools", "uvloop",
    "httpx", "tenacity", "ipykernel", "ipython", "matplotlib-inline", "jupyter-client",
    # Colab has these; the course's versions need them (huggingface_hub 2 talks HTTP through httpx2)
    "httpx2", "httpcore2", "truststore",
    # preinstalled on Colab and in conflict with the course's versions unless upgraded (pyproject's colab extra)
    "diffusers",
) + COLAB_PINNED
#: Colab's torch is a CUDA build for Python 3.13; the twin has the CPU wheel `make setup` installs.
TWIN_TORCH = "torch==2.13.0"
#: Colab versions the stand-in torch cannot live with (torch 2.13 needs setuptools >=77.0.3; Colab: 75.2).
#: Left unconstrained in the twin; the install cell does not touch them.
TORCH_STAND_IN_CONFLICTS = ("setuptools",)
KERNEL_NAME = "colab-twin"


class TwinError(RuntimeError):
    """The twin could not be built (the message says which step and what pip said)."""


def twin_dir() -> Path:
    from ..course import build_dir

    return build_dir() / "colab-twin"


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _env() -> dict:
    """This process's environment for a twin's Python, without this checkout on its path."""
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONNOUSERSITE="1")
    env.pop("PYTHONPATH", None)
    return env


def _pip(venv: Path, *args: str, timeout: int = 1800) -> subprocess.CompletedProcess:
    return subprocess.run([str(_python(venv)), "-m", "pip", *args], capture_output=True, text=True,
                          env=_env(), timeout=timeout)


def constraints() -> list[str]:
    """Colab's versions as pip constraints (torch, its conflicts and ``name @ url`` lines left out)."""
    out = []
    for name, version in freeze().items():
        if name == "torch" or name in TORCH_STAND_IN_CONFLICTS or "://" in version:
            continue
        out.append(f"{name}=={version}")
    return out


def standin_wheel(out_dir: Path) -> Path:
    """A wheel named ``google-colab`` 1.0.0 that requires exactly what Colab's own package pins."""
    pins = [f"{n}=={v}" for n, v in colab_pins().items()]
    dist = "google_colab-1.0.0.dist-info"
    meta = "Metadata-Version: 2.1\nName: google-colab\nVersion: 1.0.0\n" \
           "Summary: Stand-in for Colab's google-colab package: its == pins only (hflab twin)\n" + \
           "".join(f"Requires-Dist: {p}\n" for p in pins)
    files = {f"{dist}/METADATA": meta,
             f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: hflab\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
             f"{dist}/top_level.txt": ""}
    record = "".join(f"{p},,\n" for p in files) + f"{dist}/RECORD,,\n"
    files[f"{dist}/RECORD"] = record
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "google_colab-1.0.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return path


def _stamp_text() -> str:
    h = hashlib.sha256()
    h.update((HERE / "pip-freeze.gpu.txt").read_bytes())
    h.update(json.dumps([STACK, TWIN_TORCH, TORCH_STAND_IN_CONFLICTS, COLAB_PINNED, sys.version_info[:2]]).encode())
    return h.hexdigest()


def build_base(log=print) -> Path:
    """Build (first time) or reuse ``build/colab-twin/base``; returns its path."""
    base = twin_dir() / "base"
    stamp = base / ".hflab-twin"
    if stamp.is_file() and stamp.read_text() == _stamp_text():
        return base
    if base.exists():
        shutil.rmtree(base)
    t0 = time.perf_counter()
    log(f"[twin] Colab 쌍둥이 환경을 만듭니다: {base} (처음 한 번, 몇 분)")
    subprocess.run([sys.executable, "-m", "venv", str(base)], check=True, capture_output=True)
    cons = twin_dir() / "colab-constraints.txt"
    cons.write_text("# Colab's versions (hflab/colab/pip-freeze.gpu.txt)\n" + "\n".join(constraints()) + "\n")
    wheel = standin_wheel(twin_dir() / "wheels")
    pip_pin = f"pip=={importlib.metadata.version('pip')}"  # Colab's freeze does not list pip: use ours
    for step in (["install", "-q", pip_pin], ["install", "-q", TWIN_TORCH],
                 ["install", "-q", "-c", str(cons), str(wheel), *STACK]):
        r = _pip(base, *step)
        if r.returncode != 0:
            raise TwinError(f"[twin] pip {' '.join(step[:3])} 실패:\n{(r.stdout + r.stderr)[-3000:]}")
    check = pip_check(base)
    stamp.write_text(_stamp_text())
    log(f"[twin] 완료 ({time.perf_counter() - t0:.0f}s). pip check: {check.stdout.strip() or 'ok'}")
    return base


def fresh_copy(name: str = "run") -> Path:
    """A copy of the base twin to change (the install cell runs in it); the base stays untouched."""
    base = build_base()
    run = twin_dir() / name
    if run.exists():
        shutil.rmtree(run)
    # hard links: seconds instead of copying 2 GB; pip replaces files (new inodes), never edits them in place
    shutil.copytree(base, run, symlinks=True, copy_function=os.link)
    kernelspec(run)
    return run


def kernelspec(venv: Path) -> Path:
    """Write a Jupyter kernelspec for ``venv`` under ``venv/share/jupyter`` (add it to JUPYTER_PATH)."""
    d = venv / "share" / "jupyter" / "kernels" / KERNEL_NAME
    d.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [str(_python(venv)), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (Colab twin)", "language": "python",
            # ipykernel 6.17's debugger warns about frozen modules on Python 3.11 (not Colab's 3.13)
            "env": {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}}
    (d / "kernel.json").write_text(json.dumps(spec, indent=1))
    return venv / "share" / "jupyter"


def pip_check(venv: Path) -> subprocess.CompletedProcess:
    """``pip check`` in a twin: every installed package's requirements met (google-colab's == pins too)."""
    return _pip(venv, "check")


def packages(venv: Path) -> dict[str, str]:
    """``{normalised name: version}`` installed in a twin (asked the way the install cell asks)."""
    return installed(_python(venv), env=_env())


def hflab_wheel(out_dir: Path | None = None) -> Path:
    """Build this checkout's hflab wheel: what ``pip install "hflab @ git+…"`` builds on Colab."""
    from ..course import project_root

    out_dir = out_dir or twin_dir() / "wheels"
    for old in out_dir.glob("hflab-*.whl"):
        old.unlink()
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                        "-w", str(out_dir), str(project_root())], capture_output=True, text=True)
    if r.returncode != 0:
        raise TwinError(f"[twin] hflab 휠을 만들 수 없습니다:\n{r.stderr[-2000:]}")
    return next(out_dir.glob("hflab-*.whl"))


@dataclass
class CellRun:
    """One execution of the install cell in a twin kernel."""

    output: str
    seconds: float
    kernel_died: bool
    before: dict[str, str] = field(default_factory=dict)
    after: dict[str, str] = field(default_factory=dict)


def run_install_cell(venv: Path, source: str, pre_import: tuple[str, ...] = ("pandas",),
                     env: dict | None = None, timeout: int = 900) -> CellRun:
    """Run ``INSTALL_CELL`` in a fresh kernel of ``venv`` as Colab would, and time the cell alone.

    The kernel sees ``COLAB_RELEASE_TAG`` (set on Colab) and ``HFLAB_SOURCE=source`` (Colab builds
    the same wheel from git); ``pre_import`` runs first (Colab's kernel imports pandas at start).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    from ..course import INSTALL_CELL

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("\n".join(f"import {m}" for m in pre_import) or "pass"),
                nbformat.v4.new_code_cell(INSTALL_CELL)]
    kernel_env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_TOKEN", "PYTHONPATH", "VIRTUAL_ENV"))}
    kernel_env.update(COLAB_RELEASE_TAG="release-colab-twin", HFLAB_SOURCE=source,
                      JUPYTER_PATH=str(kernelspec(venv)), PIP_DISABLE_PIP_VERSION_CHECK="1",
                      PYTHONNOUSERSITE="1", **(env or {}))
    before = packages(venv)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(kernel_env)
    died, seconds = False, float("nan")
    try:
        client = NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=timeout, allow_errors=True,
                                resources={"metadata": {"path": str(venv.parent)}})
        with client.setup_kernel():
            client.execute_cell(nb.cells[0], 0)
            t0 = time.perf_counter()
            try:
                client.execute_cell(nb.cells[1], 1)
            except DeadKernelError:
                died = True
            seconds = time.perf_counter() - t0
    finally:
        os.environ.clear()
        os.environ.update(saved)
    cell = nb.cells[1]
    text = "".join(o.get("text", "") if o.get("output_type") == "stream" else
                   "\n".join(o.get("traceback", [])) + f"\n{o.get('ename', '')}: {o.get('evalue', '')}"
                   for o in cell.get("outputs", []))
    return CellRun(text, seconds, died, before, packages(venv))


if __name__ == "__main__":  # make twin
    print(build_base())
