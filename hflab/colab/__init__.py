"""Google Colab's runtime as the course sees it, and what the install cell does there.

* :func:`freeze` is Colab's published package list (``pip-freeze.gpu.txt``, source in README.md).
* :data:`PROTECTED` are the packages the install cell must never change on Colab.
* :func:`allowed_changes` is the reviewed list of packages it may change, each with its reason
  (``install_changes.toml``).
* :func:`after_install` is what the install cell calls once pip is done: a short Korean summary of
  what changed and, when a module the kernel had already imported changed, one runtime restart.

The twin that proves all this without Colab lives in :mod:`hflab.colab.twin`.

Used in: every lesson's install cell (``after_install``), 00_setup, tests/test_colab_twin.py.
"""
from __future__ import annotations

import os
import re
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: What Colab's own ``google-colab`` package pins with ``==`` (its setup.py; versions from the freeze).
COLAB_PINNED = ("google-auth", "ipykernel", "ipyparallel", "ipython", "pandas", "jupyter-server",
                "portpicker", "requests", "tornado")
#: Never changed by the install cell: Colab's CUDA torch, what google-colab pins, what the frontend needs.
PROTECTED = ("torch", "numpy", "pandas", "ipykernel", "ipython", "ipywidgets", "tornado", "jupyter-server",
             "requests")


from ..env import _norm as norm  # the package's one PEP 503 name normaliser (Jupyter_Server -> jupyter-server)


def freeze(path: str | Path | None = None) -> dict[str, str]:
    """``{normalised name: version}`` of Colab's GPU runtime (``name @ url`` lines give the url)."""
    out: dict[str, str] = {}
    for raw in Path(path or HERE / "pip-freeze.gpu.txt").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if " @ " in line:
            name, url = line.split(" @ ", 1)
            out[norm(name)] = url.strip()
        elif "==" in line:
            name, version = line.split("==", 1)
            out[norm(name)] = version.strip()
    return out


def python_version() -> str:
    """Colab's Python (``3.13.15``), from ``os-info-gpu.txt``."""
    text = (HERE / "os-info-gpu.txt").read_text(encoding="utf-8")
    return re.search(r"^Python (\d+\.\d+\.\d+)", text, re.M).group(1)


def colab_pins() -> dict[str, str]:
    """google-colab's ``==`` pins at the versions Colab ships (what the twin's stand-in declares)."""
    f = freeze()
    return {n: f[n] for n in COLAB_PINNED}


def allowed_changes() -> dict[str, str]:
    """``{normalised name: reason}``: what the install cell may add or change on Colab (reviewed)."""
    data = tomllib.loads((HERE / "install_changes.toml").read_text(encoding="utf-8"))
    return {norm(k): v for k, v in data["changes"].items()}


def changed(before: dict[str, str], after: dict[str, str]) -> dict[str, tuple[str | None, str | None]]:
    """``{name: (old, new)}`` for every distribution added, removed or changed between two snapshots."""
    b = {norm(k): v for k, v in before.items()}
    a = {norm(k): v for k, v in after.items()}
    return {n: (b.get(n), a.get(n)) for n in sorted(set(a) | set(b)) if b.get(n) != a.get(n)}


_LIST = ("import sys; sys.path = [p for p in sys.path if p not in ('', '.')]; "  # not the current folder
         "import importlib.metadata as m, json; "
         "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions() if d.metadata['Name']}))")


def installed(python: str | Path | None = None, env: dict | None = None) -> dict[str, str]:
    """``{normalised name: version}`` of every distribution installed for ``python`` (default: this one).

    Asked in a fresh interpreter: this kernel's own ``sys.path`` may show more (importing setuptools,
    as matplotlib's font helper does, adds its vendored copies of platformdirs & co.).
    """
    import json
    import subprocess

    out = subprocess.run([str(python or sys.executable), "-c", _LIST], capture_output=True, text=True,
                         check=True, env=env).stdout
    return {norm(k): v for k, v in json.loads(out).items()}


def imported_changes(diff: dict[str, tuple[str | None, str | None]],
                     modules: dict | None = None) -> dict[str, tuple[str | None, str | None]]:
    """The part of ``diff`` whose modules this kernel had already imported (they stay old until a restart)."""
    import importlib.metadata as md

    modules = sys.modules if modules is None else modules
    top = {m.split(".", 1)[0] for m in modules}
    owners: dict[str, set[str]] = {}
    for mod, dists in md.packages_distributions().items():
        for d in dists:
            owners.setdefault(norm(d), set()).add(mod)
    return {n: v for n, v in diff.items() if v[0] is not None and owners.get(n, set()) & top}


def _missing_course_needs() -> list[str]:
    import importlib.util

    return [m for m in ("torch", "transformers", "datasets", "huggingface_hub") if importlib.util.find_spec(m) is None]


def after_install(before: dict[str, str], pip_output: str = "", restart: bool = True) -> dict:
    """Finish the install cell: say what changed, check the course can run, restart once if needed.

    ``before`` is the cell's ``{name: version}`` snapshot from before pip ran. Prints a short Korean
    summary (never pip's wall of text), raises :class:`hflab.errors.HflabError` when Colab lacks
    something the course needs (torch), and when a module the kernel had already imported changed
    (pandas/pyarrow are imported when Colab's kernel starts), says so and restarts the runtime once
    (``restart=False`` only reports). Returns ``{"changed": ..., "restart": [...]}``.

    Used in: every lesson's install cell.
    """
    from ..errors import HflabError

    diff = changed(before, installed())
    stale = imported_changes(diff)
    missing = _missing_course_needs()
    if missing:
        raise HflabError(f"이 런타임에 과정에 필요한 패키지가 없습니다: {', '.join(missing)}",
                         fix="런타임 → 런타임 연결 해제 및 삭제 → 다시 연결한 뒤 설치 셀을 다시 실행하세요 "
                             "(Colab 기본 런타임에는 torch가 들어 있습니다).")
    warnings = [line for line in pip_output.splitlines() if line.startswith(("ERROR", "WARNING: pip"))]
    if diff:
        print(f"✅ 설치 완료: 패키지 {len(diff)}개를 더하거나 바꿨습니다 (Colab의 torch·pandas·ipywidgets는 그대로).")
        print("   " + ", ".join(f"{n} {o or '(새로)'}→{v or '(삭제)'}" for n, (o, v) in diff.items()))
    else:
        print("✅ 설치 완료: 바뀐 패키지가 없습니다.")
    for line in warnings:
        print("⚠️ pip:", line)
    if stale:
        names = ", ".join(f"{n} {o}→{v}" for n, (o, v) in stale.items())
        print(f"🔄 이미 불러온 모듈이 바뀌었습니다: {names}.\n"
              "   Colab은 커널을 시작할 때 pandas·pyarrow를 불러오므로, 새 버전을 쓰려면 런타임을 한 번 다시 시작해야 합니다.\n"
              "   지금 자동으로 다시 시작합니다. '세션이 종료되었습니다' 알림은 무시하고, 다시 연결되면 '모두 실행'을 한 번 더 누르세요.\n"
              "   두 번째에는 이 셀이 몇 초 만에 지나갑니다.", flush=True)
        if restart:
            _restart()
    return {"changed": diff, "restart": sorted(stale)}


def _restart() -> None:  # pragma: no cover - ends the process (tests/test_colab_twin.py watches it die)
    """Restart the kernel the way Colab recovers from: end this process; Colab starts a fresh one."""
    import signal
    import time

    sys.stdout.flush()
    sys.stderr.flush()
    time.sleep(1.0)  # let the kernel send the message above before it goes
    os.kill(os.getpid(), signal.SIGKILL)
