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
