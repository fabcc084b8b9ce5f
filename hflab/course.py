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

#: The one-cell install every notebook opens with (tagged `install`).
#: On Colab it installs hflab (whose pins come from pyproject.toml) and leaves Colab's
#: CUDA torch alone; locally `make setup` already installed everything, so it does nothing.
INSTALL_CELL = f'''# 설치 (Colab 전용): hflab과 고정된 버전의 라이브러리를 설치합니다. Colab의 torch는 그대로 둡니다.
# 로컬 JupyterLab에서는 `make setup`이 이미 설치했으므로 아무 일도 하지 않습니다.
import importlib.util, sys
if "google.colab" in sys.modules and importlib.util.find_spec("hflab") is None:
    %pip install -q "hflab @ git+{REPO_URL}@{BRANCH}"'''


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
