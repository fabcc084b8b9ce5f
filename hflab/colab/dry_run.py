"""Resolve the Colab install for Colab's own Python (3.13) without installing anything.

The twin runs on this machine's Python (no CPU torch exists for 3.13 here), so this check asks pip
the other half of the question: with every package Colab ships kept at Colab's version (the freeze,
as requirements), can hflab be added for Python 3.13, and what does that change?

``pip install --dry-run --ignore-installed --python-version 3.13 --only-binary=:all: --report``
resolves from wheel metadata only. Packages Colab installed from an sdist or a URL have no 3.13
wheel to read (``py313_unresolvable.txt``, regenerated with :func:`find_unresolvable`): they are
left out and reported as skipped.

Used in: tests/test_colab_twin.py.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import HERE, allowed_changes, freeze, norm, python_version

UNRESOLVABLE = HERE / "py313_unresolvable.txt"


def cuda_stack(name: str) -> bool:
    """Colab's CUDA libraries (RAPIDS from NVIDIA's index, nvidia-*, cuda-*): their metadata on PyPI is not
    the metadata of what Colab installed (torch is a +cu128 build from PyTorch's index), so resolving them
    together fails for reasons that have nothing to do with the course. The install never touches them."""
    return name.startswith(("nvidia-", "cuda-", "cupy-")) or re.search(r"-cu1[0-9]\b", name) is not None


@dataclass
class Resolution:
    ok: bool
    changed: dict[str, list] = field(default_factory=dict)  # name: [colab version or None, resolved]
    checked: int = 0
    skipped: list[str] = field(default_factory=list)
    error: str = ""


def unresolvable() -> list[str]:
    """Colab packages without a wheel pip can read for 3.13 (sdist-only on the index)."""
    if not UNRESOLVABLE.is_file():
        return []
    return [norm(line.split("#")[0].strip()) for line in UNRESOLVABLE.read_text().splitlines()
            if line.split("#")[0].strip()]


def keep_list(skip: set[str] | None = None, changeable: bool = False) -> list[str]:
    """Colab's packages at Colab's versions, less what cannot resolve and (unless ``changeable``, which
    keeps all of Colab as it is) less what the install may change."""
    skip = (skip or set()) | set(unresolvable()) | (set() if changeable else set(allowed_changes()))
    out = []
    for name, version in freeze().items():
        if name in skip or "://" in version or cuda_stack(name):
            continue
        out.append(f"{name}=={version.split('+', 1)[0]}")  # torch 2.11.0+cu128: same metadata as 2.11.0
    return out


def install_spec(wheel: Path) -> str:
    """What the install cell asks pip for on Colab (a GPU runtime adds ``gpu``; wheels only here)."""
    return f"hflab[colab] @ {Path(wheel).resolve().as_uri()}"


def _pip(wheel: Path | None, keep: list[str], report: Path) -> subprocess.CompletedProcess:
    py = ".".join(python_version().split(".")[:2])
    req = report.with_suffix(".req.txt")
    req.write_text("\n".join(keep) + "\n")
    extra = [install_spec(wheel)] if wheel else []
    return subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                           "--no-warn-conflicts", "--report", str(report), "--python-version", py,
                           "--only-binary=:all:", "-r", str(req), *extra],
                          capture_output=True, text=True, timeout=1800)


def _resolved(report: Path) -> dict[str, str]:
    data = json.loads(report.read_text())
    return {norm(item["metadata"]["name"]): item["metadata"]["version"] for item in data["install"]}


def resolve(wheel: Path, report: Path) -> Resolution:
    """Resolve ``wheel`` (hflab) for Colab's Python against the freeze; see the module docstring.

    Resolves twice, without and with hflab: what differs is what the install changes (the first
    resolution also fills in what the left-out packages' dependents need, which is not our doing).
    """
    keep = keep_list()
    results = []
    for w, reqs, out in ((None, keep_list(changeable=True), report.with_suffix(".colab.json")), (wheel, keep, report)):
        r = _pip(w, reqs, out)
        if r.returncode != 0:
            errors = [line for line in r.stderr.splitlines() if line.startswith("ERROR") or "conflict" in line.lower()]
            what = "Colab의 패키지 목록만으로도" if w is None else "hflab을 더하면"
            return Resolution(False, error=f"{what} 풀리지 않습니다:\n" + ("\n".join(errors[-15:]) or r.stderr[-3000:]),
                              checked=len(keep), skipped=unresolvable())
        results.append(_resolved(out))
    base, with_hflab = results
    changed = {n: [base.get(n), v] for n, v in sorted(with_hflab.items())
               if base.get(n) != v and not cuda_stack(n)}
    return Resolution(True, changed, len(keep), unresolvable())


def find_unresolvable(wheel: Path, workdir: Path, seed: list[str] = (), rounds: int = 80, log=print) -> list[str]:
    """Maintenance: drop, one by one, the packages pip finds no 3.13 wheel for; returns them.

    When the missing one is a dependency ("... (from dataproc-spark-connect)"), the Colab package that
    asks for it is dropped: its requirement cannot be read from wheels either.
    """
    dropped: list[str] = [norm(s) for s in seed]
    for _ in range(rounds):
        r = _pip(wheel, keep_list(set(dropped)), workdir / "find.json")
        if r.returncode == 0:
            return dropped
        m = re.search(r"satisfies the requirement ([A-Za-z0-9_.\-]+)[^(\n]*(?:\(from ([A-Za-z0-9_.\-]+))?", r.stderr)
        if not m:
            raise RuntimeError(r.stderr[-3000:])
        name = norm(m.group(2) or m.group(1))
        if name in dropped or name == "hflab":
            raise RuntimeError(f"cannot drop {name}:\n{r.stderr[-3000:]}")
        dropped.append(name)
        log(f"[py313] no 3.13 wheel metadata: {name}")
    raise RuntimeError(f"still failing after {rounds} rounds: {dropped}")
