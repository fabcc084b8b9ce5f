"""Execute lesson notebooks with papermill: the tests, `make course` and grading share this.

One file, hflab/offline_params.yaml, holds the offline parameters of every notebook;
papermill injects them after the notebook's `parameters` cell. The kernel runs with
HF_HUB_OFFLINE=1 so nothing reaches the Hub (a missing file fails at once instead of
retrying for a minute). Peak memory is the largest resident set of the kernel process
tree, sampled every 0.1 s.

Used by: tests/test_notebooks.py, `make course` (`hflab course`), `hflab grade`.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import output as output_policy
from .course import lesson, project_root
from .errors import HflabError

PARAMS_FILE = Path(__file__).parent / "offline_params.yaml"


def offline_parameters(stem: str) -> dict:
    """Offline (papermill) parameters for a notebook stem; {} when it has none."""
    data = yaml.safe_load(PARAMS_FILE.read_text(encoding="utf-8")) or {}
    return dict(data.get(stem) or {})


def all_offline_parameters() -> dict[str, dict]:
    return yaml.safe_load(PARAMS_FILE.read_text(encoding="utf-8")) or {}


def notebook_env(extra: dict | None = None, online: bool = False, checkout_on_path: bool = True) -> dict:
    """Environment for a kernel: offline (the mirror, no Hub) unless `online`; quiet progress bars.

    `checkout_on_path=False` leaves this checkout off PYTHONPATH, so the kernel imports the hflab
    installed in its own environment (the Colab twin installs hflab as Colab does, from a wheel).
    """
    env = dict(os.environ)
    flag = "0" if online else "1"
    env.update(
        HF_HUB_OFFLINE=flag,
        HF_DATASETS_OFFLINE=flag,
        HF_EVALUATE_OFFLINE=flag,
        HF_HUB_DISABLE_TELEMETRY="1",
        **output_policy.ENV,  # the progress-bar switches import hflab sets, set before the kernel starts
        TOKENIZERS_PARALLELISM="false",
        PYTHONHASHSEED="0",
        MPLBACKEND="module://matplotlib_inline.backend_inline",
    )
    # the kernel must import this checkout's hflab even when it is not pip-installed
    if checkout_on_path:
        root = str(project_root())
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    else:
        env.pop("PYTHONPATH", None)
    if extra:
        env.update(extra)
    return env


@dataclass
class RunResult:
    notebook: str
    ok: bool
    seconds: float
    peak_mb: float
    output: Path
    error: str = ""
    headline: dict | None = None
    timed_out: bool = False
    peak_gpu_mb: float | None = None


class _PeakMemory:
    """Samples the RSS of this process's children (the kernel) in a thread."""

    def __init__(self, interval: float = 0.1, gpu: bool = False):
        import psutil
        import shutil

        self._psutil = psutil
        self.interval = interval
        self.peak = 0
        self.peak_gpu = None
        self._smi = shutil.which("nvidia-smi") if gpu else None
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        me = self._psutil.Process()
        while not self._stop.is_set():
            total = 0
            try:
                for c in me.children(recursive=True):
                    try:
                        total += c.memory_info().rss
                    except self._psutil.Error:
                        pass
            except self._psutil.Error:
                pass
            self.peak = max(self.peak, total)
            if self._smi:  # GPU memory in use (MiB), whole device: run one notebook at a time
                import subprocess

                try:
                    used = subprocess.run([self._smi, "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                                          capture_output=True, text=True, timeout=5).stdout.split()
                    if used:
                        self.peak_gpu = max(self.peak_gpu or 0, float(used[0]))
                except (OSError, subprocess.SubprocessError, ValueError):
                    pass
            self._stop.wait(self.interval if not self._smi else max(self.interval, 0.5))

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def run_notebook(
    path: str | Path,
    output: str | Path,
    parameters: dict | None = None,
    timeout_s: int | None = None,
    env: dict | None = None,
    cwd: str | Path | None = None,
    online: bool = False,
    kernel_name: str = "python3",
    checkout_on_path: bool = True,
) -> RunResult:
    """Execute one notebook with papermill in a fresh kernel; never raises on a failing notebook.

    `parameters` defaults to the notebook's offline parameters; `timeout_s` to its budget
    (hflab.course.LESSONS) x 3 as a hard kill limit — the tests compare `seconds` to the budget.
    `online=True` runs the notebook's own default (Hub, GPU) parameters with the Hub reachable.
    `kernel_name` / `checkout_on_path=False` run it in another environment's kernel (the Colab twin).
    """
    import papermill as pm
    from .report import headline_from_notebook

    path, output = Path(path), Path(output)
    if not path.is_file():
        raise HflabError(f"노트북이 없습니다: {path}", fix="notebooks/ 폴더의 NN_이름.ipynb 경로를 주세요.")
    output.parent.mkdir(parents=True, exist_ok=True)
    stem = path.stem
    if online:
        params = {} if parameters is None else parameters
    else:
        params = offline_parameters(stem) if parameters is None else parameters
    budget = lesson(stem).budget_s
    limit = timeout_s or (budget * 3 if not online else 3600)
    kernel_env = notebook_env(env, online=online, checkout_on_path=checkout_on_path)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(kernel_env)  # papermill starts the kernel with this process's environment
    t0 = time.perf_counter()
    err, timed_out = "", False
    sockets = tempfile.mkdtemp(prefix="hflab-kernel-")
    try:
        with _PeakMemory(gpu=online) as mem:
            try:
                pm.execute_notebook(
                    str(path), str(output), parameters=params, kernel_name=kernel_name,
                    cwd=str(cwd or path.parent), progress_bar=False, log_output=False,
                    execution_timeout=limit, start_timeout=120, config=_ipc_config(sockets),
                )
            except pm.PapermillExecutionError as e:
                err = f"{e.ename}: {e.evalue} (cell {e.exec_count})"
            except Exception as e:  # timeouts, dead kernels
                err = f"{type(e).__name__}: {e}"
                timed_out = "Timeout" in type(e).__name__ or "timed out" in str(e).lower()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(sockets, ignore_errors=True)
    seconds = time.perf_counter() - t0
    head = None
    if output.exists():
        import nbformat

        try:
            head = headline_from_notebook(nbformat.read(output, as_version=4))
        except Exception:
            head = None
    return RunResult(stem, not err, seconds, mem.peak / 2**20, output, err, head, timed_out, mem.peak_gpu)


def _ipc_config(folder: str):
    """Kernel sockets as files in `folder` (IPC), not TCP ports: nobody else on the machine can connect,
    and the kernel does not warn "running over TCP without encryption" in `make course`."""
    from traitlets.config import Config

    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = os.path.join(folder, "kernel")
    return config


def discover(notebooks_dir: str | Path | None = None) -> list[Path]:
    """The lesson notebooks notebooks/NN_*.ipynb, in order."""
    d = Path(notebooks_dir) if notebooks_dir else project_root() / "notebooks"
    return sorted(p for p in d.glob("[0-9][0-9]_*.ipynb"))


def run_course(out_dir: str | Path | None = None, only: list[str] | None = None, log=print,
               online: bool = False) -> list[RunResult]:
    """Execute every lesson into build/course/ (offline) or build/online/ and return the results."""
    out = Path(out_dir) if out_dir else project_root() / "build" / ("online" if online else "course")
    results = []
    for nb in discover():
        if only and not any(nb.stem.startswith(o) for o in only):
            continue
        log(f"▶ {nb.stem} 실행 중 ...")
        r = run_notebook(nb, out / nb.name, online=online)
        log(f"  {'ok' if r.ok else 'FAILED'}  {r.seconds:.1f}s  {r.peak_mb:.0f} MB" + (f"  {r.error}" if r.error else ""))
        results.append(r)
    return results


if __name__ == "__main__":  # python -m hflab.runner NOTEBOOK OUT
    r = run_notebook(sys.argv[1], sys.argv[2])
    print(r)
    sys.exit(0 if r.ok else 1)
