"""Where and how a submission's kernel runs: its own folders, an allow-listed environment, no solutions.

One :class:`Workspace` per ``hflab grade`` run stages a copy of the ``hflab`` package alone
(no ``notebooks/`` beside it, so ``project_root()`` in the kernel is the submission's own
folder and ``build/`` is per submission) and a kernel spec that starts ``_launch.py``.
Each submission gets a fresh folder (cwd, HOME, TMPDIR, build/, datasets cache, capture/).

Where Linux allows unprivileged user namespaces (``unshare --user --mount``), the kernel also
runs in a private mount namespace in which the course notebooks, build outputs, git history,
the submissions, the other submissions' grading folders, the executed copies and the
instructor's token files are covered by empty mounts: even an absolute path or ``glob('/**/*.ipynb')`` finds nothing. Elsewhere the
kernel still imports the staged copy, but a determined student could read the checkout by
absolute path: grade such classes in a container or a throwaway account (this is no sandbox
for hostile code either way: the kernel runs as the instructor's user).

Used in: hflab.grading.grader.
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import HflabError

#: the only variables of the grader's environment a student's kernel sees (plus LC_*)
ENV_ALLOW = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM", "USER", "LOGNAME", "SHELL", "SYSTEMROOT", "WINDIR",
             "LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
             "OPENBLAS_NUM_THREADS", "NUMEXPR_MAX_THREADS")
#: the offline switches hflab.runner.notebook_env sets (values taken from there)
_OFFLINE_KEYS = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE", "HF_HUB_DISABLE_TELEMETRY",
                 "HF_HUB_DISABLE_PROGRESS_BARS", "HF_DATASETS_DISABLE_PROGRESS_BARS", "TOKENIZERS_PARALLELISM",
                 "PYTHONHASHSEED", "MPLBACKEND")
#: files and folders under HOME that hold credentials
_HOME_SECRETS = (".netrc", ".git-credentials", ".pypirc", ".ssh", ".aws", ".config/gh", ".docker", ".kaggle")
KERNEL_NAME = "hflab-grade"


class IsolationError(HflabError):
    """Isolation was asked for but this machine cannot provide it."""


def allowed_env(env: dict) -> dict:
    """The part of an environment a student's kernel may see: ENV_ALLOW and LC_* only."""
    return {k: v for k, v in env.items() if k in ENV_ALLOW or k.startswith("LC_")}


@functools.lru_cache(maxsize=1)
def namespaces_work() -> bool:
    """True when ``unshare --user --map-root-user --mount`` can mount here (Linux, userns allowed)."""
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "f"
        f.write_text("x")
        (Path(d) / "dir").mkdir()
        script = 'mount -t tmpfs none "$0" && mount --bind /dev/null "$1" && test ! -s "$1"'
        try:
            r = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script,
                                str(Path(d) / "dir"), str(f)], capture_output=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            return False
    return r.returncode == 0


def _hf_token_files() -> list[Path]:
    home = Path(os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface")
    files = [Path(os.environ["HF_TOKEN_PATH"])] if os.environ.get("HF_TOKEN_PATH") else []
    return files + [home / "token", home / "stored_tokens"]


@dataclass
class Submission:
    """One submission's folders and the kernel plan written for it."""

    dir: Path
    capture: Path
    plan: Path
    env: dict


class Workspace:
    """Staged package, kernel spec and per-submission folders of one grading run (see module doc)."""

    def __init__(self, course_dir=None, hidden=(), isolate: bool | None = None):
        from .. import __file__ as pkg_init

        available = namespaces_work()
        if isolate and not available:
            raise IsolationError(
                "이 컴퓨터에서는 채점 커널을 격리(mount namespace)할 수 없어요.",
                fix="리눅스에서 unshare(util-linux)를 쓸 수 있게 하거나, 컨테이너·별도 계정에서 채점하세요.")
        self.isolated = available if isolate is None else bool(isolate)
        self.package = Path(pkg_init).resolve().parent
        self.checkout = self.package.parent
        self.root = Path(tempfile.mkdtemp(prefix="hflab-grade-")).resolve()
        self.pkg = self.root / "pkg"
        shutil.copytree(self.package, self.pkg / "hflab", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (self.root / "bin").mkdir()
        shutil.copy2(Path(__file__).with_name("_launch.py"), self.root / "bin" / "launch.py")
        self.course_dir = Path(course_dir).resolve() if course_dir is not None else self.checkout / "notebooks"
        self.hidden = [Path(h).resolve() for h in hidden if h is not None]
        self._kernelspec()

    def _kernelspec(self) -> None:
        prefix = ["unshare", "--user", "--map-root-user", "--mount"] if self.isolated else []
        flags = ["-P"] if sys.version_info >= (3, 11) else []
        argv = prefix + [sys.executable, *flags, str(self.root / "bin" / "launch.py"), "{connection_file}",
                         "--HistoryManager.hist_file=:memory:"]
        d = self.root / "kernels" / KERNEL_NAME
        d.mkdir(parents=True)
        (d / "kernel.json").write_text(json.dumps(
            {"argv": argv, "display_name": "hflab grade", "language": "python", "interrupt_mode": "signal"}))

    def kernel_manager(self, submission: "Submission"):
        """A kernel manager whose connection file and (IPC) sockets live in the submission's folder.

        Unix sockets instead of TCP ports: no other kernel can subscribe to this one's outputs.
        """
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager

        ksm = KernelSpecManager(kernel_dirs=[str(self.root / "kernels")])
        return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm, transport="ipc",
                                  ip=str(submission.dir / "k"), connection_file=str(submission.dir / "kernel.json"))

    def _essential(self) -> list[Path]:
        from huggingface_hub import constants

        return [self.root, Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(),
                Path(constants.HF_HUB_CACHE).resolve(), Path(tempfile.gettempdir()).resolve()]

    def _covers(self) -> list[tuple[str, Path]]:
        """(hide_dir | hide_file, path) for everything the student's kernel must not read."""
        targets = [self.checkout / n for n in ("notebooks", "build", ".git", "tests", "shared")]
        targets += [self.course_dir, *self.hidden, *_hf_token_files()]
        targets += [Path.home() / s for s in _HOME_SECRETS]
        essential = self._essential()
        out, seen = [], set()
        for t in targets:
            t = t.resolve()
            if t in seen or not t.exists() or any(e == t or e.is_relative_to(t) for e in essential):
                continue
            seen.add(t)
            out.append(("hide_dir" if t.is_dir() else "hide_file", t))
        return out

    def submission(self) -> Submission:
        """A fresh folder and kernel plan for one submission."""
        from huggingface_hub import constants

        from ..runner import notebook_env

        (self.root / "subs").mkdir(exist_ok=True)
        d = Path(tempfile.mkdtemp(dir=self.root / "subs"))
        for sub in ("home", "tmp", "hf", "capture", "build", "cache"):
            (d / sub).mkdir()
        mounts: list[list[str]] = []
        models = self.checkout / "build" / "models"  # the course models (lesson 08's classifier ...)
        if models.is_dir():
            if self.isolated:
                (d / "build" / "models").mkdir()
                mounts.append(["bind", str(models), str(d / "build" / "models")])
            else:
                (d / "build" / "models").symlink_to(models, target_is_directory=True)
        if self.isolated:
            # the other submissions' folders (their answers as they are taken over, their kernel
            # sockets) disappear: this folder is moved aside, an empty tmpfs covers subs/, and the
            # folder comes back at its own path
            stage = self.root / "stage" / d.name
            stage.mkdir(parents=True)
            subs = self.root / "subs"
            mounts += [["rbind", str(d), str(stage)], ["tmpfs", "", str(subs)], ["mkdir", "", str(d)],
                       ["rbind", str(stage), str(d)]]
            mounts += [[kind, "", str(p)] for kind, p in self._covers()]
        plan = d / "capture" / ".plan.json"
        plan.write_text(json.dumps({"mounts": mounts, "drop_under": [str(self.checkout), str(self.root)],
                                    "keep_under": [str(Path(sys.prefix).resolve())],
                                    "pkg": str(self.pkg), "cwd": str(d)}))
        flags = notebook_env()
        env = allowed_env(os.environ)
        env.update({k: flags[k] for k in _OFFLINE_KEYS if k in flags})
        env.update(
            HOME=str(d / "home"), TMPDIR=str(d / "tmp"), XDG_CACHE_HOME=str(d / "cache"),
            HF_HOME=str(d / "hf"), HF_TOKEN_PATH=str(d / "hf" / "token"), HF_DATASETS_CACHE=str(d / "hf" / "datasets"),
            HF_HUB_CACHE=str(Path(constants.HF_HUB_CACHE).resolve()), HF_MODULES_CACHE=_modules_cache(),
            MPLCONFIGDIR=str(d / "cache" / "matplotlib"), PYTHONPATH=str(self.pkg), PYTHONNOUSERSITE="1",
            HFLAB_GRADE_PLAN=str(plan),
        )
        return Submission(d, d / "capture", plan, env)

    def readable_roots(self) -> list[Path]:
        """Folders outside the submission that the course's own inputs live in (Hub cache, course models)."""
        from huggingface_hub import constants

        roots = [Path(constants.HF_HUB_CACHE).resolve()]
        models = self.checkout / "build" / "models"
        return roots + ([models.resolve()] if models.is_dir() else [])

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _modules_cache() -> str:
    try:
        from evaluate import config

        return str(Path(config.HF_MODULES_CACHE).resolve())
    except Exception:  # evaluate missing: its offline metric modules are not needed then
        from huggingface_hub import constants

        return str(Path(constants.HF_HOME) / "modules")
