"""hflab: the helper package of the hflab Hugging Face course (Korean).

Notebooks teach; hflab removes plumbing (offline mirror, environment checks, exercise
checkers, local servers). See CONTRIBUTING.md for the module map.
"""
__version__ = "0.1.0"

from . import output as _output

_output.quiet()  # one output policy for every lesson: no progress bars, no repeating warnings (00강)

from . import env  # noqa: F401  (hflab.env.summary() is in every lesson's opening cells)
from . import exercises  # noqa: F401  (hflab.exercises.<lesson>.check_xxx in every 연습 문제)
from . import report  # noqa: F401  (hflab.report.headline / record: what a lesson measured, for the tests)
from .plots import korean_font as _korean_font

_korean_font()  # Korean plot labels in every lesson (NanumGothic from koreanize-matplotlib)
