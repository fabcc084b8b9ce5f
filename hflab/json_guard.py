"""The one check both local servers make on a parsed JSON body before touching it: how deep it nests and
whether every string (keys included) is real text. Each server turns the answer into its own 4xx shape.

Used in: ``hflab serve`` (lesson 11) and the practice hub (lessons 01, 10, 12), through their body parsers.
"""
from __future__ import annotations

from typing import Any

#: how deeply a request body's JSON may nest in either server (their deepest valid bodies nest 5 levels)
MAX_JSON_DEPTH = 32


def json_problem(value: Any, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """``"depth"`` when ``value`` nests deeper than ``max_depth``, ``"surrogate"`` when a string or key holds a
    lone UTF-16 surrogate (``"\\ud800"``: valid JSON, but no text to encode), otherwise None.

    Walks without recursion, so a deep body cannot exhaust the stack here either.
    """
    todo = [(value, 1)]
    while todo:
        node, depth = todo.pop()
        if depth > max_depth:
            return "depth"
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return "surrogate"
        elif isinstance(node, dict):
            todo.extend((k, depth + 1) for k in node)
            todo.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            todo.extend((v, depth + 1) for v in node)
    return None
