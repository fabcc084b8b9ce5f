"""Where is this notebook running, and is everything the course needs in place?

`summary()` is the short table every lesson prints after `import hflab`; `doctor()` is the full
check behind `hflab doctor` (Korean, one fixing command per problem).

Used in: every lesson (opening cells), 00_setup (doctor), `hflab doctor`.
"""
from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import sys
from dataclasses import dataclass
from pathlib import Path

#: libraries whose versions the course pins (checked against the pins by the doctor)
KEY_PACKAGES = ("transformers", "huggingface_hub", "datasets", "evaluate", "peft", "accelerate", "tokenizers")


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def pins() -> dict[str, str]:
    """The pinned versions, from hflab's installed metadata (falls back to pyproject.toml)."""
    reqs: list[str] = []
    try:
        reqs = importlib.metadata.requires("hflab") or []
    except importlib.metadata.PackageNotFoundError:
        pass
    if not reqs:
        pp = Path(__file__).resolve().parent.parent / "pyproject.toml"
        if pp.is_file():
            import tomllib

            data = tomllib.loads(pp.read_text())
            reqs = data["project"]["dependencies"] + data["project"]["optional-dependencies"].get("dev", [])
    out = {}
    for r in reqs:
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^;\s]+)", r)
        if m:
            out[_norm(m.group(1))] = m.group(2)
    return out


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


@dataclass
class Gpu:
    """The first CUDA GPU as the course's advice needs it.

    ``bf16`` means bf16 *hardware* (compute capability >= 8.0: A100, L4, H100 ...). A T4 (7.5) has
    none, although ``torch.cuda.is_bf16_supported()`` answers True there: by default it counts
    software emulation, which is slow. ``bf16_emulated`` keeps that answer to show the trap.
    """

    name: str | None
    free_gb: float | None
    total_gb: float | None
    bf16: bool
    capability: tuple[int, int] | None = None
    bf16_emulated: bool = False

    @property
    def dtype(self) -> str:
        """The dtype to load and train in here: bfloat16 with bf16 hardware, float16 on other GPUs, float32 on CPU."""
        if self.name is None:
            return "float32"
        return "bfloat16" if self.bf16 else "float16"

    def advice(self) -> str:
        """One Korean line: which dtype and why (lessons 00, 04, 05)."""
        if self.name is None:
            return "GPU 없음 → float32 (CPU). Colab이라면 런타임 → 런타임 유형 변경 → T4 GPU"
        cap = f"{self.capability[0]}.{self.capability[1]}" if self.capability else "?"
        if self.bf16:
            return f"{self.name} (compute capability {cap}): bf16 하드웨어 있음 → bfloat16"
        return (f"{self.name} (compute capability {cap} < 8.0): bf16 하드웨어 없음 → float16"
                + (" (is_bf16_supported()의 True는 느린 에뮬레이션)" if self.bf16_emulated else ""))


def bf16_hardware(capability: tuple[int, int] | None) -> bool:
    """bf16 arithmetic in hardware: NVIDIA compute capability 8.0 (Ampere) or newer."""
    return capability is not None and tuple(capability) >= (8, 0)


def gpu() -> Gpu:
    """The first CUDA GPU, its free memory and whether it has bf16 hardware (a T4 has none).

    Used in: every lesson (``summary``), 00_setup, 04_autoclass, 05_generation_chat, 09_peft (QLoRA compute
    dtype), ``hflab doctor``.
    """
    try:
        import torch
    except ImportError:
        return Gpu(None, None, None, False)
    if not torch.cuda.is_available():
        return Gpu(None, None, None, False)
    free, total = torch.cuda.mem_get_info(0)
    cap = tuple(torch.cuda.get_device_capability(0))
    # Ask without emulation (the default including_emulation=True answers True on a T4) and check the
    # capability too: both must say "hardware".
    hardware = bool(torch.cuda.is_bf16_supported(including_emulation=False)) and bf16_hardware(cap)
    return Gpu(torch.cuda.get_device_name(0), free / 1e9, total / 1e9, hardware, cap,
               bool(torch.cuda.is_bf16_supported()))


@dataclass
class Check:
    item: str
    value: str
    ok: bool
    fix: str = ""


def _setup_cmd() -> str:
    return "노트북 맨 위의 설치 셀을 다시 실행하세요" if in_colab() else "make setup"


def checks(mirror: bool = True) -> list[Check]:
    """Every check `hflab doctor` shows."""
    out: list[Check] = []
    out.append(Check("실행 환경", "Google Colab" if in_colab() else f"로컬 ({platform.system()})", True))
    out.append(Check("Python", platform.python_version(), sys.version_info >= (3, 10),
                     "Python 3.10 이상이 필요합니다 (pyenv install 3.11)"))
    torch_v = installed("torch")
    out.append(Check("torch", torch_v or "없음", torch_v is not None,
                     "pip install torch==2.13.0" if not in_colab() else "Colab 런타임을 초기화하세요"))
    g = gpu()
    if g.name:
        out.append(Check("GPU", f"{g.name} (여유 {g.free_gb:.1f} / {g.total_gb:.1f} GB)", True))
        out.append(Check("bf16 하드웨어", ("예 → bfloat16" if g.bf16 else "아니오 → float16을 쓰세요 (T4는 bf16 하드웨어가 없음)"), True))
    else:
        fix = ("Colab 메뉴: 런타임 → 런타임 유형 변경 → 하드웨어 가속기 'T4 GPU' → 저장" if in_colab()
               else "")
        out.append(Check("GPU", "없음 (CPU로 실행: 오프라인 과정은 CPU만으로 충분합니다)", not in_colab(), fix))
    want = pins()
    for name in KEY_PACKAGES:
        have = installed(name)
        pin = want.get(_norm(name))
        if have is None:
            out.append(Check(name, "설치되지 않음", False, _setup_cmd()))
        elif pin and have != pin:
            fix = _setup_cmd() if in_colab() else f".venv/bin/pip install {name}=={pin}  (또는 make setup)"
            out.append(Check(name, f"{have} (고정 버전 {pin}과 다름)", False, fix))
        else:
            out.append(Check(name, have + (" ✓ 고정 버전" if pin else ""), True))
    offline = os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes")
    out.append(Check("HF_HUB_OFFLINE", "1 (오프라인: Hub에 접속하지 않음)" if offline else "0 (온라인: Hub 사용)", True))
    if mirror and not in_colab():
        from . import offline as off

        for st in off.mirror_status():
            label = {"ok": "준비됨", "real": "실제 Hub 사본", "missing": "없음", "partial": "손상/미완성",
                     "stale": "다른 버전", "no-package": "패키지 없음"}[st.state]
            fix = "" if st.ok else ("make setup" if st.state == "no-package" else "make mirror  (= .venv/bin/hflab mirror)")
            out.append(Check(f"미러 {st.repo_id}", f"{label}: {st.detail}", st.ok, fix))
    return out


def doctor(mirror: bool = True) -> bool:
    """Print the environment check as a Korean table; True when nothing needs fixing.

    Used in: 00_setup, `hflab doctor`.
    """
    from rich.console import Console
    from rich.table import Table

    rows = checks(mirror=mirror)
    table = Table(title="hflab doctor: 환경 점검", show_lines=False)
    table.add_column("항목")
    table.add_column("상태")
    table.add_column("")
    table.add_column("고치는 방법")
    for c in rows:
        table.add_row(c.item, c.value, "✅" if c.ok else "❌", c.fix if not c.ok else "")
    console = Console(width=140)
    console.print(table)
    bad = [c for c in rows if not c.ok]
    if bad:
        console.print(f"[bold red]문제 {len(bad)}개[/]: 위 표의 '고치는 방법' 명령을 실행하세요.")
    else:
        console.print("[bold green]모든 점검 통과.[/]")
    return not bad


def summary() -> None:
    """The short environment table each lesson prints after `import hflab`.

    Used in: every lesson.
    """
    import hflab

    g = gpu()
    where = "Colab" if in_colab() else "로컬"
    dev = f"{g.name} ({g.free_gb:.1f} GB 여유, bf16 하드웨어 {'O' if g.bf16 else 'X'} → {g.dtype})" if g.name else "CPU"
    offline = os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes")
    vers = ", ".join(f"{n} {installed(n)}" for n in ("torch", "transformers", "datasets") if installed(n))
    from .output import describe

    print(f"hflab {hflab.__version__} | {where} | {dev} | Hub: {'오프라인(미러)' if offline else '온라인'} | {vers}"
          f" | {describe()}")
