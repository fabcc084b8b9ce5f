"""Small display helpers for lessons: the headline figure a lesson measured, and the values it records.

A lesson shows what it measured and never asserts a bar on it (a T4 or a busy CPU must not stop
"모두 실행"): :func:`record` keeps the value in the executed notebook, and the tests hold the bars
(tests/measured_bars.py reads them with :func:`recorded_values`).

Used in: every lesson that has a headline figure (read back by `make course`); `record` in 02, 03,
04, 05, 08.
"""
from __future__ import annotations

import json

HEADLINE_MIME = "application/vnd.hflab.headline+json"
RECORD_MIME = "application/vnd.hflab.record+json"


def headline(text: str, **values) -> None:
    """Show the lesson's headline result and tag it for the `make course` table.

    `text` is the Korean sentence shown to the learner; `values` are the measured numbers
    behind it (kept machine-readable for the table and the tests).
    """
    payload = {"text": text, "values": values}
    try:
        from IPython.display import display

        display({HEADLINE_MIME: payload, "text/plain": f"📌 핵심 결과: {text}"}, raw=True)
    except ImportError:  # plain python
        print(f"📌 핵심 결과: {text}")


def _payloads(nb, *mimes: str):
    """(mime, payload) of every output of an executed notebook carrying one of `mimes`, in order."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            for mime in mimes:
                if mime in data:
                    payload = data[mime]
                    yield mime, json.loads(payload) if isinstance(payload, str) else payload


def headline_from_notebook(nb) -> dict | None:
    """The last headline payload in an executed notebook (nbformat node), or None."""
    found = None
    for _, found in _payloads(nb, HEADLINE_MIME):
        pass
    return found


def _plain(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def record(**values) -> None:
    """Keep measured values in the executed notebook for the tests (and show them in one short line).

    The lesson prints what the values mean; the bars they must meet on the course's offline run live
    in tests/measured_bars.py. Values must be JSON-serialisable (numbers, strings, booleans).
    """
    payload = {k: (v.item() if hasattr(v, "item") and not isinstance(v, (bool, int, float)) else v)  # numpy, torch
               for k, v in values.items()}
    json.dumps(payload)  # fail here, in the lesson, not later in the test that reads it
    text = "📏 기록: " + ", ".join(f"{k}={_plain(v)}" for k, v in payload.items())
    try:
        from IPython.display import display

        display({RECORD_MIME: payload, "text/plain": text}, raw=True)
    except ImportError:  # plain python
        print(text)


def recorded_values(nb) -> dict:
    """Every value an executed notebook recorded: its :func:`record` calls and its headline's values.

    A later record of the same name wins (a lesson that measures twice keeps the last).
    """
    found: dict = {}
    for mime, payload in _payloads(nb, RECORD_MIME, HEADLINE_MIME):
        found.update(payload["values"] if mime == HEADLINE_MIME else payload)
    return found
