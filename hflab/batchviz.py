"""Pictures of collated batches: a token grid where padding, the attention mask and -100 labels
are visible, and padding heatmaps that compare whole epochs.

The lesson calls the collator itself (``collator(features)``); these helpers only draw what it
returned.

Used in: 07_collators.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from .errors import HflabError


class BatchVizError(HflabError):
    """Bad input to a batch picture helper."""


#: cell colours by kind (shared by the grid and its legend)
COLORS = {
    "token": "#cfe8fc",     # a real token
    "special": "#e0d4f7",   # [CLS], [SEP], <|im_start|> ...
    "mask": "#ffb703",      # [MASK] put in by the MLM collator
    "pad": "#e3e3e3",       # padding (attention_mask 0)
    "one": "#b7e4c7",       # attention_mask 1
    "zero": "#e3e3e3",      # attention_mask 0
    "label": "#fff3b0",     # a label the loss uses
    "ignore": "#f6c6cb",    # -100: ignored by the loss
}
LEGEND = {
    "token": "토큰",
    "special": "특수 토큰",
    "mask": "[MASK]로 바뀐 자리",
    "pad": "패딩",
    "one": "마스크 1 (실제 토큰)",
    "zero": "마스크 0 (패딩)",
    "label": "손실에 쓰는 라벨",
    "ignore": "-100 (손실에서 제외)",
}
IGNORE_INDEX = -100


def _rows_of(value, field: str) -> list[list[int]]:
    """A 2-D tensor / array / nested list as a list of int rows."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(r, (list, tuple)) for r in value):
        raise BatchVizError(
            f"'{field}' 는 [배치, 길이] 2차원이어야 합니다.",
            fix="콜레이터가 돌려준 배치(dict)를 그대로 넘기세요: collator(features)",
        )
    rows = [[int(x) for x in r] for r in value]
    if len({len(r) for r in rows}) != 1:
        raise BatchVizError(
            f"'{field}' 의 줄 길이가 서로 다릅니다 (패딩 전).",
            fix="패딩하는 콜레이터(DataCollatorWithPadding 등)를 거친 배치를 넘기세요.",
        )
    return rows


def _check_batch(batch) -> None:
    if not isinstance(batch, Mapping) or "input_ids" not in batch:
        raise BatchVizError(
            "batch 는 'input_ids' 를 가진 dict 여야 합니다.",
            fix="batch = collator([dataset[i] for i in range(4)]) 처럼 콜레이터의 결과를 넘기세요.",
        )


def cell_kinds(batch: Mapping, tokenizer=None, fields: Sequence[str] | None = None) -> dict[str, list[list[str]]]:
    """The kind of every cell of a collated batch, field by field (what the grid colours).

    ``input_ids``: ``token`` / ``special`` / ``mask`` / ``pad`` (padding = attention_mask 0, or
    pad_token_id when there is no mask); ``attention_mask``: ``one`` / ``zero``; ``labels``
    (2-D only): ``label`` / ``ignore`` (-100).
    Used in: 07_collators (through :func:`token_grid`).
    """
    _check_batch(batch)
    ids = _rows_of(batch["input_ids"], "input_ids")
    mask = _rows_of(batch["attention_mask"], "attention_mask") if "attention_mask" in batch else None
    if mask is not None and (len(mask) != len(ids) or len(mask[0]) != len(ids[0])):
        raise BatchVizError("input_ids 와 attention_mask 의 모양이 다릅니다.", fix="같은 배치의 값을 넘기세요.")
    special = set(getattr(tokenizer, "all_special_ids", []) or [])
    pad_id = getattr(tokenizer, "pad_token_id", None)
    mask_id = getattr(tokenizer, "mask_token_id", None)
    out: dict[str, list[list[str]]] = {}
    for field in fields or _default_fields(batch):
        if field == "input_ids":
            grid = []
            for r, row in enumerate(ids):
                kinds = []
                for c, tid in enumerate(row):
                    is_pad = (mask[r][c] == 0) if mask is not None else (pad_id is not None and tid == pad_id)
                    if is_pad:
                        kinds.append("pad")
                    elif mask_id is not None and tid == mask_id:
                        kinds.append("mask")
                    elif tid in special:
                        kinds.append("special")
                    else:
                        kinds.append("token")
                grid.append(kinds)
            out[field] = grid
        elif field == "attention_mask":
            if mask is None:
                raise BatchVizError("배치에 attention_mask 가 없습니다.", fix="fields 에서 'attention_mask' 를 빼세요.")
            out[field] = [["one" if v else "zero" for v in row] for row in mask]
        elif field in batch:
            rows = _rows_of(batch[field], field)
            out[field] = [["ignore" if v == IGNORE_INDEX else "label" for v in row] for row in rows]
        else:
            raise BatchVizError(f"배치에 '{field}' 가 없습니다 (있는 키: {', '.join(map(str, batch))}).",
                                fix="fields 에 배치에 있는 키만 넣으세요.")
    return out


def _default_fields(batch: Mapping) -> list[str]:
    fields = [f for f in ("input_ids", "attention_mask") if f in batch]
    labels = batch.get("labels")
    if labels is not None and getattr(labels, "ndim", None) != 1:
        if hasattr(labels, "ndim") or (isinstance(labels, (list, tuple)) and labels and isinstance(labels[0], (list, tuple))):
            fields.append("labels")
    return fields


def _token_text(tokenizer, ids: list[int]) -> list[str]:
    if tokenizer is None:
        return [str(i) for i in ids]
    from .tokenviz import TokenVizError, readable

    tokens = tokenizer.convert_ids_to_tokens(ids)
    out = []
    for t in tokens:
        t = "" if t is None else str(t)
        if any(ch in t for ch in "ĠĊ") or (t and all(0x00A1 <= ord(ch) <= 0x0143 for ch in t)):
            try:
                t = readable(t, space="·")  # the course font has no '▁'
            except TokenVizError:
                pass
        # the course font (NanumGothic) draws a backslash as ₩ and has no U+2212 minus
        out.append(t.replace("\n", "↲").replace("\u2212", "-"))
    return out


def token_grid(batch: Mapping, tokenizer=None, fields: Sequence[str] | None = None, rows: Sequence[int] | None = None,
               max_cols: int = 40, label_names: Mapping[int, str] | Sequence[str] | None = None,
               labels_as: str | None = None, title: str | None = None, text: bool = True, max_label: int = 6,
               start: int = 0):
    """Draw a collated batch as a grid: one panel per field, one row per example, one cell per position.

    Colours show what a collator did: real tokens, special tokens, ``[MASK]`` replacements,
    padding; attention mask 1/0; labels the loss uses vs ``-100`` (ignored). Cell text is the
    token (``input_ids``, decoded with `tokenizer`), 1/0, or the label: ``labels_as="tokens"``
    (MLM/CLM labels are token ids), ``"names"`` (with `label_names`, e.g. ``id2label``) or
    ``"ids"``; by default names when `label_names` is given, else tokens when a tokenizer is
    given. A 1-D ``labels`` (one label per sentence) is written at the right of each row.
    Positions ``start`` to ``start + max_cols`` are drawn (each panel title says which);
    ``text=False`` draws colours only. A leading space in byte-level tokens shows as ``·``.
    Returns the matplotlib Figure.
    Used in: 07_collators.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    _check_batch(batch)
    fields = list(fields or _default_fields(batch))
    kinds = cell_kinds(batch, tokenizer, fields)
    n_rows = len(kinds[fields[0]])
    rows = list(range(min(n_rows, 8))) if rows is None else list(rows)
    if not rows or any(not isinstance(r, int) or not 0 <= r < n_rows for r in rows):
        raise BatchVizError(f"rows 는 0 이상 {n_rows} 미만의 행 번호 리스트여야 합니다 (지금 {rows!r}).",
                            fix="예: rows=[0, 1, 2]")
    if not isinstance(max_cols, int) or max_cols < 1:
        raise BatchVizError(f"max_cols 는 1 이상의 정수여야 합니다 (지금 {max_cols!r}).", fix="예: max_cols=40")
    if not isinstance(start, int) or start < 0:
        raise BatchVizError(f"start 는 0 이상의 정수여야 합니다 (지금 {start!r}).", fix="예: start=0")
    if labels_as not in (None, "tokens", "names", "ids"):
        raise BatchVizError(f"labels_as='{labels_as}' 는 지원하지 않습니다.", fix="'tokens', 'names', 'ids' 중 하나를 쓰세요.")
    if labels_as == "names" and label_names is None:
        raise BatchVizError("labels_as='names' 에는 label_names 가 필요합니다.", fix="예: label_names=model.config.id2label")
    if labels_as is None:
        labels_as = "names" if label_names is not None else ("tokens" if tokenizer is not None else "ids")
    widths = {f: len(kinds[f][0]) for f in fields}
    if start >= max(widths.values()):
        raise BatchVizError(f"start={start} 가 배치 길이({max(widths.values())})보다 깁니다.", fix="더 작은 start 를 주세요.")
    n_cols_max = max(1, min(max(widths.values()) - start, max_cols))
    ids = _rows_of(batch["input_ids"], "input_ids")
    sent_labels = None
    if "labels" in batch and "labels" not in fields:
        lab = batch["labels"]
        lab = lab.tolist() if hasattr(lab, "tolist") else lab
        if isinstance(lab, (list, tuple)) and lab and not isinstance(lab[0], (list, tuple)):
            sent_labels = lab

    def label_text(v: int) -> str:
        if v == IGNORE_INDEX:
            return "-100"
        if labels_as == "names":
            try:
                return str(label_names[v])
            except (KeyError, IndexError, TypeError):
                return str(v)
        if labels_as == "tokens":
            return _token_text(tokenizer, [v])[0]
        return str(v)

    cell_w, cell_h = 0.62 if text else 0.14, 0.42
    height = sum(len(rows) * cell_h + 0.55 for _ in fields) + 0.9
    width = max(6.0, n_cols_max * cell_w + 2.2)
    fig, axes = plt.subplots(len(fields), 1, figsize=(width, height), squeeze=False)
    used: list[str] = []
    for ax, field in zip(axes[:, 0], fields):
        values = ids if field == "input_ids" else _rows_of(batch[field], field)
        n_cols = max(0, min(widths[field] - start, max_cols))
        cols = range(start, start + n_cols)
        for y, r in enumerate(rows):
            yy = len(rows) - 1 - y
            for c, pos in enumerate(cols):
                kind = kinds[field][r][pos]
                if kind not in used:
                    used.append(kind)
                ax.add_patch(Rectangle((c, yy), 1, 1, facecolor=COLORS[kind], edgecolor="white", lw=0.8))
            if text and n_cols:
                part = values[r][start:start + n_cols]
                if field == "input_ids":
                    labels = _token_text(tokenizer, part)
                elif field == "attention_mask":
                    labels = [str(v) for v in part]
                else:
                    labels = [label_text(v) for v in part]
                for c, lab in enumerate(labels):
                    if len(lab) > max_label:
                        lab = lab[: max_label - 1] + "…"
                    color = "#888888" if kinds[field][r][start + c] in ("pad", "zero") else "#222222"
                    ax.text(c + 0.5, yy + 0.5, lab, ha="center", va="center", fontsize=7, color=color)
            ax.text(-0.3, yy + 0.5, f"예제 {r}", ha="right", va="center", fontsize=8)
            if sent_labels is not None and field == fields[0]:
                ax.text(n_cols + 0.3, yy + 0.5, f"label={label_text(int(sent_labels[r])) if labels_as == 'names' else sent_labels[r]}",
                        ha="left", va="center", fontsize=8)
        ax.set_xlim(-0.1, n_cols_max + (2.2 if sent_labels is not None else 0.1))
        ax.set_ylim(-0.1, len(rows) + 0.1)
        ax.set_aspect("auto")
        ax.axis("off")
        shape = f"{len(values)} × {widths[field]}"
        cut = f", 위치 {start}~{start + n_cols - 1}만 표시" if (start or widths[field] > n_cols) and n_cols else ""
        ax.set_title(f"{field}  ({shape}{cut})", fontsize=9, loc="left")
    more = ""
    fig.suptitle((title or "") + more, fontsize=10)
    handles = [Patch(facecolor=COLORS[k], label=LEGEND[k]) for k in COLORS if k in used]
    fig.legend(handles=handles, loc="lower center", ncol=min(4, len(handles)), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 0.95))
    return fig


def padding_heatmaps(epochs: Mapping[str, Sequence[Mapping]], n_batches: int = 12, max_length: int | None = None,
                     title: str | None = None):
    """Compare padding strategies: the first `n_batches` batches of each, drawn block by block.

    Each block is one batch (rows = examples, width = its padded length): green = real tokens,
    grey = padding the model still computes, white = nothing computed. The panel title gives
    the pad share over the whole epoch. Returns the matplotlib Figure.
    Used in: 07_collators.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import ListedColormap

    from .bench import pad_fraction

    if not isinstance(epochs, Mapping) or not epochs:
        raise BatchVizError("epochs 는 {'전략 이름': [배치, ...]} dict 여야 합니다.",
                            fix="예: {'동적 패딩': list(loader)}")
    if not isinstance(n_batches, int) or n_batches < 1:
        raise BatchVizError(f"n_batches 는 1 이상의 정수여야 합니다 (지금 {n_batches!r}).", fix="예: n_batches=12")
    masks = {}
    for name, batches in epochs.items():
        if not batches:
            raise BatchVizError(f"'{name}' 의 배치가 비어 있습니다.", fix="list(DataLoader(...)) 를 넘기세요.")
        for b in batches[:n_batches]:
            _check_batch(b)
        masks[name] = [np.asarray(_rows_of(b["attention_mask"], "attention_mask")) for b in batches[:n_batches]]
    width = max_length or max(m.shape[1] for ms in masks.values() for m in ms)
    cmap = ListedColormap(["#ffffff", "#d9d9d9", "#74c69d"])  # nothing, padding, real token
    fig, axes = plt.subplots(len(masks), 1, figsize=(11, 1.6 * len(masks) + 0.6), squeeze=False)
    for ax, (name, ms) in zip(axes[:, 0], masks.items()):
        gap = 1
        total_rows = sum(m.shape[0] + gap for m in ms)
        canvas = np.zeros((width, total_rows))  # x = position, y = example (drawn transposed: batches side by side)
        x = 0
        for m in ms:
            w = min(m.shape[1], width)
            canvas[:w, x:x + m.shape[0]] = (m[:, :w].T + 1)  # 1 = padding, 2 = real
            x += m.shape[0] + gap
        ax.imshow(canvas, aspect="auto", cmap=cmap, vmin=0, vmax=2, interpolation="nearest", origin="lower")
        ax.set_ylabel("위치", fontsize=8)
        ax.set_xticks([])
        ax.set_title(f"{name} — 패딩 비율 {pad_fraction(epochs[name]):.0%} (에폭 전체)", fontsize=9, loc="left")
    axes[-1, 0].set_xlabel(f"배치 {n_batches}개 (세로 막대 하나 = 예제 하나, 배치마다 한 칸 띄움)", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
