"""One output policy for every lesson: no progress bars, no warnings that repeat without teaching.

`import hflab` applies :func:`quiet` once, so every lesson behaves the same on Colab, in JupyterLab
and in the tests. What it turns off (lesson 00 says what output to expect and ignore):

* progress bars of huggingface_hub (downloads), transformers ("Loading weights") and datasets
  ("Map", "Filter", "Generating split"): on Colab they fill the page with widgets whose text differs
  from run to run, which hides what the lesson prints;
* warnings that repeat every epoch and teach nothing here: torch's "'pin_memory' ... no accelerator"
  (CPU runs), peft's is_gradient_checkpointing warning, datasets' "Setting num_proc from N back to 1"
  (a tiny dataset). (ipykernel's "running over TCP" notice in `make course` is gone another way: the
  runner's kernels use IPC sockets.)

An environment variable that is already set wins: ``HF_HUB_DISABLE_PROGRESS_BARS=0`` (and
``HF_DATASETS_DISABLE_PROGRESS_BARS=0``) before ``import hflab`` keeps the bars.

Used in: every lesson (through ``import hflab``), 00_setup (explained); hflab.runner gives the
kernels it starts the same ``ENV``.
"""
from __future__ import annotations

import logging
import os
import sys
import warnings

#: Environment variables the Hugging Face libraries read when they start.
ENV = {
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",      # huggingface_hub downloads; transformers follows it
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",  # datasets map/filter/generating split
}
# TOKENIZERS_PARALLELISM is left alone: it changes how fast batched tokenization runs (lesson 06 measures it).
#: Warning messages (regular expressions) filtered out: each repeats without teaching anything.
IGNORED_WARNINGS = (
    r".*'pin_memory' argument is set as true but no accelerator is found.*",  # every DataLoader on CPU
    r".*is_gradient_checkpointing.*",  # peft 0.21 calling a helper transformers 5 renamed (lesson 09, every step)
)
#: Log lines dropped from library loggers: {logger name: substrings}.
IGNORED_LOGS = {
    "datasets": ("Setting num_proc from",),
}


class _DropMessages(logging.Filter):
    def __init__(self, parts: tuple[str, ...]):
        super().__init__()
        self.parts = parts

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        return not any(p in msg for p in self.parts)


def quiet() -> dict[str, str]:
    """Apply the course's output policy (idempotent); returns the environment it set.

    Used in: every lesson through ``import hflab``.
    """
    applied = {}
    for key, value in ENV.items():
        if key not in os.environ:
            os.environ[key] = value
            applied[key] = value
    for pattern in IGNORED_WARNINGS:
        warnings.filterwarnings("ignore", message=pattern)
    for name, parts in IGNORED_LOGS.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropMessages) for f in logger.filters):
            logger.addFilter(_DropMessages(parts))
    # libraries imported before hflab read the variables already: tell them directly
    if "huggingface_hub" in sys.modules and os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1":
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    if "datasets" in sys.modules and os.environ["HF_DATASETS_DISABLE_PROGRESS_BARS"] == "1":
        import datasets

        datasets.disable_progress_bars()
    if "transformers" in sys.modules and os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1":
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    return applied


def describe() -> str:
    """One Korean line for ``hflab.env.summary()``: what the policy turned off."""
    bars = "끔" if os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS") == "1" else "켬"
    return f"진행 표시줄 {bars}, 반복 경고 숨김 (hflab.output, 00강)"
