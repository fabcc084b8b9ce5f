"""Errors with Korean messages that say what to do.

Every error hflab raises on bad input is an :class:`HflabError`: its message is
Korean, names the fix (usually one command), and never contains a token.
"""


class HflabError(Exception):
    """Base class: a Korean message for the learner, no traceback needed."""

    def __init__(self, message: str, fix: str | None = None):
        self.fix = fix
        text = message if not fix else f"{message}\n  → 해결: {fix}"
        super().__init__(text)

    def _render_traceback_(self):  # IPython: show only the message, not a traceback
        return [f"{type(self).__name__}: {self}"]
