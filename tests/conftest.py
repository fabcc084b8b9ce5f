"""Shared fixtures: the offline environment and the planted canary token.

Every test process runs with HF_HUB_OFFLINE=1 (nothing reaches the Hub) and a canary
HF_TOKEN; tests that execute notebooks or talk to local servers check the canary never
shows up in outputs, logs or exception text.
"""
import os
import secrets
import string
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# One canary per test session: a syntactically valid-looking user token nobody owns.
CANARY = "hf_CANARY" + "".join(secrets.choice(string.ascii_letters) for _ in range(28))
os.environ["HF_TOKEN"] = CANARY
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_EVALUATE_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def canary() -> str:
    return CANARY


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def build_dir() -> Path:
    d = ROOT / "build" / "test"
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="session")
def course_models():
    """Lessons 02 and 10-12 reuse lesson 08's classifier; `make setup` builds it (`hflab models`), and so
    does this fixture when pytest runs alone, so no lesson's time budget pays for that training."""
    from hflab.models import ensure_review_classifier

    return ensure_review_classifier(quiet=True)


_SESSION_START = [0.0]


def pytest_sessionstart(session):
    import time

    _SESSION_START[0] = time.time()


def pytest_terminal_summary(terminalreporter):
    """After the run: what the install cell changed in the Colab twin (tests/test_colab_twin.py)."""
    import json

    from hflab.colab.twin import twin_dir

    report = twin_dir() / "report.json"
    if not report.is_file() or report.stat().st_mtime < _SESSION_START[0]:
        return  # the twin tests did not run in this session
    data = json.loads(report.read_text())
    tr = terminalreporter
    tr.section("Colab twin: what the install cell changes on Colab's runtime")
    for name, (old, new) in data.get("changed", {}).items():
        tr.write_line(f"  {name:24s} {old or '(new)':>12s} -> {new or '(removed)'}")
    tr.write_line(f"  pip check after install: {data.get('pip_check') or 'ok'} (rc {data.get('pip_check_rc')}); "
                  f"install cell {data.get('first_s')} s first run (restart: {data.get('restarted')}), "
                  f"{data.get('second_s')} s second run")
    if "py313" in data:
        p = data["py313"]
        tr.write_line(f"  Python 3.13 dry run: {len(p['changed'])} changed, {p['checked']} Colab packages kept, "
                      f"{len(p['skipped'])} skipped (no 3.13 wheel)")
