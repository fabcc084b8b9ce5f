"""The table `make course` (and `make test-online`) prints: notebook, ok/failed, seconds,
peak memory (GPU memory online), and the lesson's headline figure measured in that run.

Used by: `hflab course` (make course, make test-online).
"""
from __future__ import annotations

from pathlib import Path

from .course import build_dir, lesson


def _rows(results, online: bool):
    for r in results:
        head = (r.headline or {}).get("text", "") if r.ok else r.error[:100]
        mem = (f"{r.peak_gpu_mb:.0f}" if r.peak_gpu_mb is not None else "-") if online else f"{r.peak_mb:.0f}"
        yield [r.notebook, "ok" if r.ok else "failed", f"{r.seconds:.1f}", str(lesson(r.notebook).budget_s), mem, head]


def _header(online: bool):
    return ["노트북", "결과", "시간(s)", "오프라인 예산(s)", "최대 GPU 메모리(MiB)" if online else "최대 메모리(MB)",
            "핵심 결과 (이번 실행에서 측정)"]


def print_table(results, online: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title="hflab course: " + ("온라인(기본 매개변수) 실행 결과" if online else "오프라인 실행 결과"))
    for col in _header(online):
        t.add_column(col)
    for row in _rows(results, online):
        if row[1] == "failed":
            row[1] = "[red]failed[/]"
        t.add_row(*row)
    Console(width=170).print(t)
    n_ok = sum(r.ok for r in results)
    print(f"{n_ok}/{len(results)} 노트북 성공, 총 {sum(r.seconds for r in results):.0f}s")


def write_markdown(results, online: bool = False) -> Path:
    """Write the same table as markdown to build/course_table.md (or build/online_table.md)."""
    lines = ["| " + " | ".join(_header(online)) + " |", "|" + "---|" * len(_header(online))]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in _rows(results, online)]
    path = build_dir() / ("online_table.md" if online else "course_table.md")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
