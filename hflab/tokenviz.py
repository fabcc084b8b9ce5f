"""Pictures and readable labels for tokens: byte-level pieces shown as text, offsets drawn under the text.

The lesson calls the tokenizer itself (``tokenizer(text, return_offsets_mapping=True)``); these
helpers only turn what it returned into something a learner can read.

Used in: 03_tokenizers.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Mapping, Sequence

from .errors import HflabError


class TokenVizError(HflabError):
    """Bad input to a token display helper."""


@lru_cache(maxsize=1)
def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level alphabet (256 printable characters) back to byte values."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def byte_level_bytes(token: str) -> bytes:
    """The raw bytes behind a byte-level BPE token string (GPT-2 / SmolLM2 / Llama 3 style).

    ``"ìķĪ"`` is the three UTF-8 bytes of ``"안"``; ``"Ġ"`` is a space.
    Used in: 03_tokenizers.
    """
    if not isinstance(token, str):
        raise TokenVizError(
            f"토큰은 문자열이어야 합니다 (지금은 {type(token).__name__}).",
            fix="tokenizer.convert_ids_to_tokens(ids) 로 얻은 토큰 문자열을 넘기세요.",
        )
    table = _byte_decoder()
    bad = [ch for ch in token if ch not in table]
    if bad:
        raise TokenVizError(
            f"'{token}' 은 byte-level 토큰이 아닙니다 (바이트 알파벳에 없는 글자 '{bad[0]}').",
            fix="byte-level BPE 토크나이저(SmolLM2, GPT-2, 이 강의의 BPE)의 토큰만 넘기세요.",
        )
    return bytes(table[ch] for ch in token)


def readable(token: str, byte_level: bool = True, space: str = "▁") -> str:
    """A token as a learner reads it.

    Byte-level tokens are decoded from UTF-8; a leading space becomes `space`; bytes that are
    only part of a character (one Hangul syllable is 3 bytes) are shown as hex, e.g. ``<EC 95>``.
    Other tokens (WordPiece ``##는``, Unigram ``▁안녕``) are returned unchanged.
    Used in: 03_tokenizers.
    """
    if not byte_level:
        return token
    raw = byte_level_bytes(token)
    out: list[str] = []
    partial: list[int] = []  # bytes that are only part of a character

    def flush():
        if partial:
            out.append("<" + " ".join(f"{b:02X}" for b in partial) + ">")
            partial.clear()

    i = 0
    while i < len(raw):
        for j in range(min(len(raw), i + 4), i, -1):  # longest valid UTF-8 character first
            try:
                ch = raw[i:j].decode("utf-8")
            except UnicodeDecodeError:
                continue
            flush()
            out.append(ch.replace(" ", space))
            i = j
            break
        else:
            partial.append(raw[i])
            i += 1
    flush()
    return "".join(out)


def draw_offsets(text: str, rows: Mapping[str, tuple[Sequence[str], Sequence[tuple[int, int]]]],
                 title: str | None = None, max_label: int = 6):
    """Draw each tokenizer's tokens as boxes under the characters they cover.

    `rows` maps a tokenizer name to ``(tokens, offsets)`` as returned with
    ``return_offsets_mapping=True`` (special tokens with offsets ``(0, 0)`` are skipped).
    Tokens whose character spans overlap (the bytes of one syllable, a leading space) share
    one box labelled ``×n``. Returns the matplotlib Figure.
    Used in: 03_tokenizers.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    if not isinstance(text, str) or not text:
        raise TokenVizError("text 는 비어 있지 않은 문자열이어야 합니다.", fix="토큰화한 바로 그 문장을 넘기세요.")
    if not rows:
        raise TokenVizError("rows 가 비어 있습니다.", fix="{'이름': (tokens, offsets)} 를 하나 이상 넘기세요.")
    spans_by_row = {}
    for name, pair in rows.items():
        try:
            if isinstance(pair, str):
                raise TypeError
            tokens, offsets = pair
            tokens, offsets = list(tokens), [tuple(o) for o in offsets]
            if any(len(o) != 2 for o in offsets):
                raise ValueError
        except (TypeError, ValueError):
            raise TokenVizError(
                f"'{name}' 의 값은 (tokens, offsets) 두 개짜리여야 합니다.",
                fix="enc.tokens() 또는 convert_ids_to_tokens(...) 와 enc['offset_mapping'] 을 함께 넘기세요.",
            ) from None
        if len(tokens) != len(offsets):
            raise TokenVizError(
                f"'{name}': 토큰 {len(tokens)}개와 오프셋 {len(offsets)}개의 수가 다릅니다.",
                fix="같은 인코딩 결과에서 tokens 와 offset_mapping 을 꺼내세요.",
            )
        spans: list[list] = []  # [start, end, label, count]
        for tok, (s, e) in zip(tokens, offsets):
            s, e = int(s), int(e)
            if s == e:
                continue  # special tokens
            if not (0 <= s < e <= len(text)):
                raise TokenVizError(
                    f"'{name}': 오프셋 ({s}, {e}) 이 문장 길이 {len(text)} 를 벗어납니다.",
                    fix="오프셋을 구한 바로 그 문장(text)을 넘기세요.",
                )
            if spans and s < spans[-1][1]:  # overlaps the previous box: bytes of the same syllable
                spans[-1][1] = max(spans[-1][1], e)
                spans[-1][3] += 1
                continue
            spans.append([s, e, tok, 1])
        spans_by_row[name] = spans

    n_rows = len(rows)
    width = max(6.0, 0.42 * len(text) + 2.2)
    fig, ax = plt.subplots(figsize=(width, 0.75 * (n_rows + 1) + 0.6))
    fonts = [plt.rcParams["font.family"][0] if isinstance(plt.rcParams["font.family"], list)
             else plt.rcParams["font.family"], "DejaVu Sans"]
    for i, ch in enumerate(text):  # the characters, one cell each
        ax.add_patch(Rectangle((i, n_rows), 1, 0.8, facecolor="#f2f2f2", edgecolor="#bbbbbb", lw=0.6))
        ax.text(i + 0.5, n_rows + 0.4, ch if ch != " " else "␣", ha="center", va="center", fontsize=11,
                family=fonts)
    colors = ["#8ecae6", "#ffb703", "#90be6d", "#f4a3a8", "#cdb4db"]
    for r, (name, spans) in enumerate(spans_by_row.items()):
        y = n_rows - 1 - r
        ax.text(-0.3, y + 0.4, name, ha="right", va="center", fontsize=10, family=fonts)
        for k, (s, e, tok, count) in enumerate(spans):
            ax.add_patch(Rectangle((s + 0.05, y + 0.05), e - s - 0.1, 0.7, facecolor=colors[k % 2 + 2 * (r % 2)],
                                   edgecolor="#555555", lw=0.6))
            label = f"×{count}" if count > 1 else str(tok)
            if len(label) > max_label:
                label = label[: max_label - 1] + "…"
            ax.text((s + e) / 2, y + 0.4, label, ha="center", va="center", fontsize=8, family=fonts)
        ax.text(len(text) + 0.3, y + 0.4, f"{sum(c for *_, c in spans)}개", ha="left", va="center", fontsize=9,
                family=fonts)
    ax.set_xlim(-0.2, len(text) + 1.5)
    ax.set_ylim(-0.2, n_rows + 1)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=11, family=fonts)
    fig.subplots_adjust(left=0.16, right=0.98)
    return fig
