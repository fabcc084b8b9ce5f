"""The course itself: lessons, the repository URL, the Colab install cell.

The repository URL lives here and only here; README badges, notebook badges and the
install cell are derived from it (tests/test_course.py checks they agree).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: GitHub "owner/name" of the course repository: the one place it is written.
REPO = "hflab-course/hflab"
BRANCH = "main"
REPO_URL = f"https://github.com/{REPO}"

#: Where the install cell takes hflab from on Colab (HFLAB_SOURCE overrides it: a fork, a wheel).
INSTALL_SOURCE = f"git+{REPO_URL}@{BRANCH}"

#: The one-cell install every notebook opens with (tagged `install`; tests/test_course.py checks it).
#: On Colab: one pip call before any import installs hflab (the Hugging Face stack at the course's
#: versions; general packages keep Colab's versions because hflab asks for ranges) with its `colab`
#: extra (upgrades that keep Colab's own packages consistent) and the `gpu` extra when a GPU is there; hflab.colab.after_install then summarises and restarts once if needed.
#: Run again, it is a no-op. Locally `make setup` already installed everything: it does nothing.
INSTALL_CELL = f'''# 설치 (Colab 전용): 과정에 필요한 것만 설치합니다. Colab의 torch·pandas·ipywidgets는 그대로 둡니다.
# 로컬 JupyterLab에서는 `make setup`이 이미 설치했으므로 아무 일도 하지 않습니다. 설명: 00강 '설치 셀'.
import importlib.metadata, importlib.util, os, subprocess, sys
if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ:
    if sys.version_info < (3, 10):
        raise SystemExit("Python 3.10 이상이 필요합니다: 런타임 → 런타임 유형 변경에서 최신 런타임 버전을 고르세요.")
    gpu = os.path.exists("/dev/nvidia0")
    if importlib.util.find_spec("hflab") is None or (gpu and importlib.util.find_spec("bitsandbytes") is None):
        before = {{d.metadata["Name"]: d.version for d in importlib.metadata.distributions()}}
        source = os.environ.get("HFLAB_SOURCE", "{INSTALL_SOURCE}")
        pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--progress-bar", "off",
                              f"hflab[{{'colab,gpu' if gpu else 'colab'}}] @ {{source}}"], capture_output=True, text=True)
        if pip.returncode != 0:
            print("\\n".join((pip.stdout + pip.stderr).strip().splitlines()[-8:]))
            raise SystemExit("설치 실패: 위 pip 메시지를 보세요. 인터넷 연결 문제면 런타임 → 런타임 연결 해제 및 삭제 후 "
                             "다시 연결하고, 이 셀을 다시 실행하세요.")
        importlib.invalidate_caches()
        import hflab.colab
        hflab.colab.after_install(before, pip.stdout + pip.stderr)  # 바뀐 것 요약, 필요하면 런타임을 한 번 재시작
    else:
        print("✅ 이미 설치되어 있습니다.")'''


@dataclass(frozen=True)
class Lesson:
    stem: str
    title: str
    budget_s: int = 120  # offline time budget on 2 CPU cores


LESSONS = [
    Lesson("00_setup", "시작하기: Colab, 로컬, 오프라인 미러"),
    Lesson("01_hub_token", "Hub 계정과 액세스 토큰"),
    Lesson("02_pipelines", "파이프라인"),
    Lesson("03_tokenizers", "토크나이저"),
    Lesson("04_autoclass", "AutoClass"),
    Lesson("05_generation_chat", "텍스트 생성과 채팅"),
    Lesson("06_datasets", "datasets"),
    Lesson("07_collators", "데이터 콜레이터"),
    Lesson("08_trainer", "Trainer와 evaluate", budget_s=240),
    Lesson("09_peft", "PEFT와 LoRA", budget_s=240),
    Lesson("10_sharing", "Hub에 공유하기"),
    Lesson("11_inference_api", "Inference API"),
    Lesson("12_spaces_gradio", "Spaces와 Gradio"),
]
_BY_STEM = {l.stem: l for l in LESSONS}


def lesson(stem: str) -> Lesson:
    """The Lesson for a notebook stem (unknown stems get the default budget)."""
    return _BY_STEM.get(stem, Lesson(stem, stem))


def colab_url(notebook: str) -> str:
    """Colab URL that opens `notebooks/<notebook>` from the repository."""
    return f"https://colab.research.google.com/github/{REPO}/blob/{BRANCH}/notebooks/{notebook}"


def colab_badge(notebook: str) -> str:
    """Markdown "Open in Colab" badge for a notebook file name (README and lesson title cells)."""
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(notebook)})"


def project_root() -> Path:
    """The checkout root (where notebooks/ lives), or the current directory on Colab."""
    here = Path(__file__).resolve().parent.parent
    return here if (here / "notebooks").is_dir() else Path.cwd()


def build_dir() -> Path:
    """`build/` under the project root: executed notebooks, course models, screenshots."""
    d = project_root() / "build"
    d.mkdir(parents=True, exist_ok=True)
    return d
