"""Matplotlib set up for Korean labels.

matplotlib's default font (DejaVu Sans) has no Hangul: every Korean label would be a box and
a warning. koreanize-matplotlib ships NanumGothic (OFL) as a PyPI package, so this works the
same on Colab, locally and offline. `import hflab` calls `korean_font()` once.

Used in: every lesson with a figure.
"""
from __future__ import annotations

_done = False


def korean_font() -> str | None:
    """Register NanumGothic and make it matplotlib's default font; returns the font name."""
    global _done
    try:
        import matplotlib
        import matplotlib.font_manager as fm
        from koreanize_matplotlib import get_font_ttf_path
    except ImportError:  # matplotlib or the font package missing: plots still work, boxes instead of Hangul
        return None
    path = get_font_ttf_path()
    if not _done:
        fm.fontManager.addfont(path)
        _done = True
    name = fm.FontProperties(fname=path).get_name()
    matplotlib.rcParams["font.family"] = name
    matplotlib.rcParams["axes.unicode_minus"] = False  # the font has no U+2212 minus sign
    return name
