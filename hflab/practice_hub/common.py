"""Constants and small helpers every part of the practice hub shares."""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from pathlib import Path

#: the practice account every generated token belongs to
DEFAULT_USER = "student"
REPO_TYPES = ("model", "dataset", "space")
_PLURAL = {"models": "model", "datasets": "dataset", "spaces": "space"}
_URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
_SPACE_SDKS = ("gradio", "docker", "static", "streamlit")
_INVALID_CREDENTIALS = "Invalid credentials in Authorization header"
_REGULAR_MAX = 10 * 1024 * 1024  # the Hub refuses "regular" (inline) files above 10 MB

#: control characters: refused in file paths and refs, removed from header values
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def default_root() -> Path:
    """``build/practice_hub`` under the project root (the current directory on Colab)."""
    try:
        from ..course import build_dir

        return build_dir() / "practice_hub"
    except Exception:  # pragma: no cover - course.py missing or broken: stay usable
        return Path.cwd() / "build" / "practice_hub"


def _now_iso(ts: float | None = None) -> str:
    dt = datetime.fromtimestamp(time.time() if ts is None else ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _mask(token: str | None) -> str:
    if not token:
        return "<none>"
    return token[:5] + "…" + token[-2:] if len(token) >= 10 else token[:3] + "…"
