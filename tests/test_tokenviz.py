"""hflab.tokenviz: readable byte-level tokens and the offsets picture (lesson 03)."""
from __future__ import annotations

import pytest

from hflab.errors import HflabError
from hflab.tokenviz import TokenVizError, byte_level_bytes, draw_offsets, readable


def _byte_level(text: str) -> str:
    """Encode text the way GPT-2 style byte-level BPE writes it (via the module's own table)."""
    from hflab.tokenviz import _byte_decoder

    enc = {b: c for c, b in _byte_decoder().items()}
    return "".join(enc[b] for b in text.encode("utf-8"))


def test_byte_table_is_a_bijection_on_256_bytes():
    from hflab.tokenviz import _byte_decoder

    table = _byte_decoder()
    assert sorted(table.values()) == list(range(256))
    assert table["Ġ"] == 32 and table["A"] == 65


def test_readable_whole_and_partial_syllables():
    assert byte_level_bytes(_byte_level("안")) == "안".encode("utf-8")
    assert readable(_byte_level(" 안녕")) == "▁안녕"
    assert readable(_byte_level(" hello"), space=" ") == " hello"
    first_two = _byte_level("안")[:2]  # 2 of the 3 UTF-8 bytes of one syllable
    assert readable(first_two) == "<EC 95>"
    assert readable(_byte_level("가") + first_two) == "가<EC 95>"
    assert readable("##는", byte_level=False) == "##는"


def test_readable_rejects_non_byte_level_tokens_in_korean():
    with pytest.raises(TokenVizError) as e:
        readable("##는")
    assert "byte-level" in str(e.value) and isinstance(e.value, HflabError)
    with pytest.raises(TokenVizError, match="문자열"):
        byte_level_bytes(3)


def test_draw_offsets_groups_tokens_on_one_syllable():
    import matplotlib

    matplotlib.use("Agg")
    text = "안녕 hi"
    rows = {
        "bytes": (["a", "b", "c", "d", "▁hi"], [(0, 1), (0, 1), (0, 1), (1, 2), (2, 5)]),
        "words": (["[CLS]", "안녕", "hi", "[SEP]"], [(0, 0), (0, 2), (3, 5), (0, 0)]),
    }
    fig = draw_offsets(text, rows, title="t")
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert "×3" in labels and "5개" in labels and "2개" in labels
    matplotlib.pyplot.close(fig)


@pytest.mark.parametrize("text,rows,needle", [
    ("", {"a": ([], [])}, "비어 있지 않은"),
    ("abc", {}, "rows"),
    ("abc", {"a": (["x"], [(0, 1), (1, 2)])}, "수가 다릅니다"),
    ("abc", {"a": (["x"], [(0, 9)])}, "벗어납니다"),
    ("abc", {"a": "xy"}, "(tokens, offsets)"),
])
def test_draw_offsets_bad_input_has_korean_fix(text, rows, needle):
    with pytest.raises(TokenVizError) as e:
        draw_offsets(text, rows)
    assert needle in str(e.value) and "해결" in str(e.value)
