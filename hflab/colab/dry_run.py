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


def keep_list(skip: set[str] | None = None) -> list[str]:
    """Colab's packages at Colab's versions, less what the install may change and what cannot resolve."""
    skip = (skip or set()) | set(unresolvable()) | set(allowed_changes())
    out = []
    for name, version in freeze().items():
        if name in skip or "://" in version:
            continue
        out.append(f"{name}=={version.split('+', 1)[0]}")  # torch 2.11.0+cu128: same metadata as 2.11.0
    return out


def install_spec(wheel: Path) -> str:
    """What the install cell asks pip for on Colab (a GPU runtime adds ``gpu``; wheels only here)."""
    return f"hflab[colab] @ {Path(wheel).resolve().as_uri()}"


def _pip(wheel: Path, keep: list[str], report: Path) -> subprocess.CompletedProcess:
    py = ".".join(python_version().split(".")[:2])
    req = report.with_suffix(".req.txt")
    req.write_text("\n".join(keep) + "\n")
    return subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                           "--no-warn-conflicts", "--report", str(report), "--python-version", py,
                           "--only-binary=:all:", "-r", str(req), install_spec(wheel)],
                          capture_output=True, text=True, timeout=1800)


def resolve(wheel: Path, report: Path) -> Resolution:
    """Resolve ``wheel`` (hflab) for Colab's Python against the freeze; see the module docstring."""
    keep = keep_list()
    r = _pip(wheel, keep, report)
    if r.returncode != 0:
        errors = [line for line in r.stderr.splitlines() if line.startswith("ERROR") or "conflict" in line.lower()]
        return Resolution(False, error="\n".join(errors[-15:]) or r.stderr[-3000:], checked=len(keep),
                          skipped=unresolvable())
    data = json.loads(report.read_text())
    have = freeze()
    resolved = {norm(item["metadata"]["name"]): item["metadata"]["version"] for item in data["install"]}
    changed = {n: [have.get(n), v] for n, v in sorted(resolved.items())
               if have.get(n) is None or have[n].split("+", 1)[0] != v}
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
