"""Small display helpers for lessons: the headline figure a lesson measured.

Used in: every lesson that has a headline figure (read back by `make course`).
"""
from __future__ import annotations

import json

HEADLINE_MIME = "application/vnd.hflab.headline+json"


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


def headline_from_notebook(nb) -> dict | None:
    """The last headline payload in an executed notebook (nbformat node), or None."""
    found = None
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if HEADLINE_MIME in data:
                found = data[HEADLINE_MIME]
                if isinstance(found, str):
                    found = json.loads(found)
    return found
