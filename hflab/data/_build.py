"""Maintainer script: build the shipped course data and refresh the dataset card.

    python -m hflab.data._build ner           # _source/ner_ko.txt -> ner/{train,validation,test}.jsonl
    python -m hflab.data._build reviews       # _parts/reviews_*.jsonl -> reviews/*.csv (once; --force to redo)
    python -m hflab.data._build instructions  # _parts/instructions.jsonl -> instructions/*.jsonl (once)
    python -m hflab.data._build card          # recompute statistics + baseline into README.md

The review and instruction splits were written once from the drafts in
``hflab/data/_parts/`` (a scratch folder, not shipped) and are fixed since: the
committed CSV/JSONL files are the source of truth. The NER set is rebuilt from
``_source/ner_ko.txt``, where entities are marked ``[[surface|LABEL]]``; the
character offsets are computed here, never typed by hand.

Not used by the lessons.
"""
from __future__ import annotations

import csv
import json
import random
import re
import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path

from . import (
    DOMAINS,
    INSTRUCTION_SPLITS,
    LANGS,
    NER_ENTITY_TYPES,
    NER_SPLITS,
    REVIEW_SPLITS,
    corpus_lines,
    data_dir,
)

SEED = "hflab-data-v1"
MARK = re.compile(r"\[\[([^\[\]|]+)\|(PER|ORG|LOC|DATE)\]\]")


def _rng(*key) -> random.Random:
    return random.Random("/".join([SEED, *map(str, key)]))  # str seeds are stable across runs


def _write_jsonl(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# --- NER ------------------------------------------------------------------------


def parse_marked(line: str) -> tuple[str, list[dict]]:
    """``"[[김민준|PER]]은 ..."`` -> ``("김민준은 ...", [{"start": 0, "end": 3, ...}])``."""
    text, entities, pos = [], [], 0
    length = 0
    for m in MARK.finditer(line):
        before = line[pos : m.start()]
        text.append(before)
        length += len(before)
        surface, label = m.group(1), m.group(2)
        if surface != surface.strip():
            raise ValueError(f"entity with surrounding spaces: {surface!r} in {line!r}")
        entities.append({"start": length, "end": length + len(surface), "label": label, "text": surface})
        text.append(surface)
        length += len(surface)
        pos = m.end()
    text.append(line[pos:])
    out = "".join(text)
    if "[[" in out or "]]" in out:
        raise ValueError(f"unparsed mark in {line!r}")
    for e in entities:
        assert out[e["start"] : e["end"]] == e["text"]
    return out, entities


def build_ner() -> dict[str, int]:
    src = data_dir() / "_source" / "ner_ko.txt"
    rows = []
    with open(src, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            text, ents = parse_marked(line)
            rows.append({"text": text, "entities": ents})
    for i, row in enumerate(rows, 1):
        row["id"] = f"ner-{i:04d}"
    order = list(range(len(rows)))
    _rng("ner").shuffle(order)
    n_eval = round(len(rows) * 0.10)
    parts = {
        "test": order[:n_eval],
        "validation": order[n_eval : 2 * n_eval],
        "train": order[2 * n_eval :],
    }
    counts = {}
    for split in NER_SPLITS:
        idx = sorted(parts[split])  # keep source order inside a split
        out = [{"id": rows[k]["id"], "text": rows[k]["text"], "entities": rows[k]["entities"]} for k in idx]
        _write_jsonl(data_dir() / "ner" / f"{split}.jsonl", out)
        counts[split] = len(out)
    return counts


# --- reviews --------------------------------------------------------------------


def build_reviews(force: bool = False) -> dict[str, int]:
    out_dir = data_dir() / "reviews"
    if (out_dir / "train.csv").exists() and not force:
        raise SystemExit("reviews/*.csv already exist and are fixed; pass --force to rebuild them")
    rows = []
    for path in sorted((data_dir() / "_parts").glob("reviews_*.jsonl")):
        for r in _read_jsonl(path):
            text = " ".join(r["text"].split())
            assert r["lang"] in LANGS and r["domain"] in DOMAINS and r["label"] in (0, 1), r
            rows.append({"text": text, "label": int(r["label"]), "lang": r["lang"], "domain": r["domain"]})
    groups = defaultdict(list)
    for r in rows:
        groups[(r["lang"], r["label"], r["domain"])].append(r)
    split_rows = {s: [] for s in REVIEW_SPLITS}
    for key in sorted(groups):
        g = sorted(groups[key], key=lambda r: r["text"])
        _rng("reviews", *key).shuffle(g)
        n_eval = round(len(g) * 0.15)
        split_rows["test"] += g[:n_eval]
        split_rows["validation"] += g[n_eval : 2 * n_eval]
        split_rows["train"] += g[2 * n_eval :]
    counts = {}
    out_dir.mkdir(parents=True, exist_ok=True)
    for split, srows in split_rows.items():
        srows.sort(key=lambda r: (r["lang"], r["label"], r["domain"], r["text"]))
        _rng("reviews-order", split).shuffle(srows)
        with open(out_dir / f"{split}.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["text", "label", "lang", "domain"])
            w.writeheader()
            w.writerows(srows)
        counts[split] = len(srows)
    return counts


# --- instructions ---------------------------------------------------------------


def build_instructions(force: bool = False) -> dict[str, int]:
    out_dir = data_dir() / "instructions"
    if (out_dir / "train.jsonl").exists() and not force:
        raise SystemExit("instructions/*.jsonl already exist and are fixed; pass --force to rebuild")
    rows = _read_jsonl(data_dir() / "_parts" / "instructions.jsonl")
    groups = defaultdict(list)
    for r in rows:
        msgs = [{"role": m["role"], "content": m["content"].strip()} for m in r["messages"]]
        assert [m["role"] for m in msgs] == ["user", "assistant"], r
        groups[(r["lang"], r["category"])].append({"lang": r["lang"], "category": r["category"], "messages": msgs})
    split_rows = {s: [] for s in INSTRUCTION_SPLITS}
    for key in sorted(groups):
        g = groups[key]  # keep the authors' order for ids
        for i, r in enumerate(g, 1):
            r["id"] = f"inst-{key[0]}-{key[1]}-{i:02d}"
        g = sorted(g, key=lambda r: r["id"])
        _rng("instructions", *key).shuffle(g)
        n_test = round(len(g) * 0.10)
        split_rows["test"] += g[:n_test]
        split_rows["train"] += g[n_test:]
    counts = {}
    for split, srows in split_rows.items():
        srows.sort(key=lambda r: r["id"])
        _rng("instructions-order", split).shuffle(srows)
        _write_jsonl(
            out_dir / f"{split}.jsonl",
            [{"id": r["id"], "lang": r["lang"], "category": r["category"], "messages": r["messages"]} for r in srows],
        )
        counts[split] = len(srows)
    return counts


# --- dataset card ---------------------------------------------------------------


def _read_reviews() -> dict[str, list[dict]]:
    out = {}
    for split in REVIEW_SPLITS:
        with open(data_dir() / "reviews" / f"{split}.csv", encoding="utf-8", newline="") as f:
            out[split] = list(csv.DictReader(f))
    return out


def _quantiles(values: list[int]) -> str:
    values = sorted(values)
    q = statistics.quantiles(values, n=4, method="inclusive")
    return f"{values[0]} | {q[0]:.0f} | {q[1]:.0f} | {q[2]:.0f} | {values[-1]}"


def stats_markdown() -> str:
    reviews = _read_reviews()
    lines = ["### Reviews (`reviews/{train,validation,test}.csv`)", ""]
    lines += ["| split | ko neg | ko pos | en neg | en pos | total |", "|---|---:|---:|---:|---:|---:|"]
    total = Counter()
    for split in REVIEW_SPLITS:
        c = Counter((r["lang"], r["label"]) for r in reviews[split])
        total.update(c)
        cells = [c[(lang, lab)] for lang in LANGS for lab in ("0", "1")]
        lines.append(f"| {split} | " + " | ".join(map(str, cells)) + f" | {len(reviews[split])} |")
    cells = [total[(lang, lab)] for lang in LANGS for lab in ("0", "1")]
    lines.append("| **all** | " + " | ".join(map(str, cells)) + f" | {sum(total.values())} |")
    allrows = [r for split in REVIEW_SPLITS for r in reviews[split]]
    lines += ["", "Per domain (all splits, negative / positive):", ""]
    lines += ["| domain | ko | en |", "|---|---:|---:|"]
    dc = Counter((r["domain"], r["lang"], r["label"]) for r in allrows)
    for d in DOMAINS:
        lines.append(
            f"| {d} | "
            + " | ".join(f"{dc[(d, lang, '0')]} / {dc[(d, lang, '1')]}" for lang in LANGS)
            + " |"
        )
    lines += ["", "Length in characters (all splits):", ""]
    lines += ["| lang | min | 25% | median | 75% | max |", "|---|---:|---:|---:|---:|---:|"]
    for lang in LANGS:
        lines.append(f"| {lang} | " + _quantiles([len(r["text"]) for r in allrows if r["lang"] == lang]) + " |")
    buckets = [(1, 20), (21, 50), (51, 100), (101, 200), (201, 10_000)]
    lines += ["", "Length spread (characters; the collator lesson pads these):", ""]
    lines += [
        "| lang | " + " | ".join(f"{a}–{b}" if b < 10_000 else f">{a - 1}" for a, b in buckets) + " |",
        "|---|" + "---:|" * len(buckets),
    ]
    for lang in LANGS:
        ls = [len(r["text"]) for r in allrows if r["lang"] == lang]
        lines.append(f"| {lang} | " + " | ".join(str(sum(a <= n <= b for n in ls)) for a, b in buckets) + " |")

    lines += ["", "### Korean NER (`ner/{train,validation,test}.jsonl`)", ""]
    lines += ["| split | sentences | PER | ORG | LOC | DATE | entities |", "|---|---:|---:|---:|---:|---:|---:|"]
    ner_all = []
    for split in NER_SPLITS:
        rows = _read_jsonl(data_dir() / "ner" / f"{split}.jsonl")
        ner_all += rows
        c = Counter(e["label"] for r in rows for e in r["entities"])
        lines.append(
            f"| {split} | {len(rows)} | " + " | ".join(str(c[t]) for t in NER_ENTITY_TYPES) + f" | {sum(c.values())} |"
        )
    c = Counter(e["label"] for r in ner_all for e in r["entities"])
    lines.append(
        f"| **all** | {len(ner_all)} | " + " | ".join(str(c[t]) for t in NER_ENTITY_TYPES) + f" | {sum(c.values())} |"
    )
    lines += ["", "| sentence length (characters) | min | 25% | median | 75% | max |", "|---|---:|---:|---:|---:|---:|"]
    lines.append("| NER | " + _quantiles([len(r["text"]) for r in ner_all]) + " |")

    lines += ["", "### Instructions (`instructions/{train,test}.jsonl`)", ""]
    lines += ["| split | ko | en | total |", "|---|---:|---:|---:|"]
    inst_all = []
    for split in INSTRUCTION_SPLITS:
        rows = _read_jsonl(data_dir() / "instructions" / f"{split}.jsonl")
        inst_all += rows
        c = Counter(r["lang"] for r in rows)
        lines.append(f"| {split} | {c['ko']} | {c['en']} | {len(rows)} |")
    cats = Counter(r["category"] for r in inst_all)
    lines += ["", "Categories (both languages): " + ", ".join(f"{k} {v}" for k, v in sorted(cats.items())) + ".", ""]
    lines += ["| response length (characters) | min | 25% | median | 75% | max |", "|---|---:|---:|---:|---:|---:|"]
    for lang in LANGS:
        ls = [len(r["messages"][-1]["content"]) for r in inst_all if r["lang"] == lang]
        lines.append(f"| {lang} | " + _quantiles(ls) + " |")

    corpus = corpus_lines()
    lines += ["", "### Tokenizer corpus (`corpus/ko_corpus.txt`)", ""]
    lines += [
        f"{len(corpus)} sentences, {sum(map(len, corpus))} characters.",
        "",
        "| sentence length (characters) | min | 25% | median | 75% | max |",
        "|---|---:|---:|---:|---:|---:|",
        "| corpus | " + _quantiles([len(s) for s in corpus]) + " |",
    ]
    return "\n".join(lines)


def baseline_markdown() -> str:
    from .baseline import review_baselines

    res = review_baselines("test")
    lines = [
        "| lang | train | test | accuracy | majority class | p (binomial, vs. majority) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for lang in LANGS:
        r = res[lang]
        lines.append(
            f"| {lang} | {r['n_train']} | {r['n_eval']} | {r['accuracy']:.3f} | "
            f"{r['majority_class']:.3f} | {r['p_value']:.1e} |"
        )
    return "\n".join(lines)


def _replace_block(card: str, name: str, body: str) -> str:
    begin, end = f"<!-- BEGIN GENERATED: {name} -->", f"<!-- END GENERATED: {name} -->"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if not pattern.search(card):
        raise SystemExit(f"README.md has no {begin} ... {end} block")
    return pattern.sub(lambda _m: f"{begin}\n{body}\n{end}", card)


def build_card() -> None:
    path = data_dir() / "README.md"
    card = path.read_text(encoding="utf-8")
    card = _replace_block(card, "stats", stats_markdown())
    card = _replace_block(card, "baseline", baseline_markdown())
    path.write_text(card, encoding="utf-8")


def main(argv: list[str]) -> None:
    force = "--force" in argv
    cmds = [a for a in argv if not a.startswith("--")] or ["ner", "card"]
    for cmd in cmds:
        if cmd == "ner":
            print("ner", build_ner())
        elif cmd == "reviews":
            print("reviews", build_reviews(force))
        elif cmd == "instructions":
            print("instructions", build_instructions(force))
        elif cmd == "card":
            build_card()
            print("card: README.md refreshed")
        else:
            raise SystemExit(f"unknown command {cmd!r}: ner | reviews | instructions | card")


if __name__ == "__main__":
    main(sys.argv[1:])
