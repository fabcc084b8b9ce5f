"""Lesson 06 (datasets): the facts the issue asks the lesson to show.

Fast checks read the notebook source (the Show facts are asserted in it, the seed's broken forms
are shown next to the current ones, every checker is used in a solution region) and the catalog /
offline parameters. The `notebook` tests read the executed notebook (build/test/06_datasets.ipynb,
executed here when missing or older than the source) and re-check its claims from what it left on
disk: the streamed file's size and row count, the cache file the second map reopened, the folder
save_to_disk wrote.
"""
from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from hflab import catalog
from hflab.exercises import data_ops as ex06
from hflab.report import headline_from_notebook
from hflab.runner import offline_parameters

ROOT = Path(__file__).resolve().parent.parent
NB = ROOT / "notebooks" / "06_datasets.ipynb"
STEM = "06_datasets"
NSMC_RAW = "https://raw.githubusercontent.com/e9t/nsmc/master"


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NB, as_version=4)


@pytest.fixture(scope="module")
def source(nb):
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


@pytest.fixture(scope="module")
def prose(nb):
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _params(nb) -> dict:
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    return {t.id: ast.literal_eval(node.value) for node in ast.parse(cell.source).body
            if isinstance(node, ast.Assign) for t in node.targets}


def test_default_parameters_name_nsmc_by_url_and_a_namespaced_hub_dataset(nb):
    p = _params(nb)
    assert p["NSMC_BASE_URL"] == NSMC_RAW
    assert p["HUB_DATASET"] == "nyu-mll/glue" and p["HUB_CONFIG"] == "sst2"
    assert "/" in p["HUB_DATASET"], "Hub ids are namespaced"
    for repo_id in ("nyu-mll/glue", "e9t/nsmc"):
        e = catalog.entry(repo_id)
        assert e.kind == "dataset" and STEM in e.lessons
    assert f"{NSMC_RAW}/ratings_train.txt" in catalog.entry("e9t/nsmc").note
    assert STEM in catalog.entry(p["TOKENIZER"]).lessons
    assert p["BIG_FILE_MB"] >= 100, "streaming needs a file too large to want in memory"


def test_offline_parameters_use_local_files_and_the_mirror_tokenizer():
    off = offline_parameters(STEM)
    assert off["NSMC_BASE_URL"] is None
    assert off["TOKENIZER"] in catalog.mirror_ids()
    assert "HUB_DATASET" not in off, "offline keeps the Hub id: the cell shows the ConnectionError in Korean"


def test_show_facts_are_asserted_in_the_notebook(source):
    """Facts true on every device are asserted in the lesson; measured speeds are only recorded there
    (a T4 or a busy CPU must not stop "모두 실행"): their bars are in test_executed_headline_measured_facts."""
    assert "batched=False" in source and "batched=True" in source
    assert "assert speedup" not in source and "assert t_second" not in source
    assert "assert reused" in source and "second.cache_files == first.cache_files" in source
    assert "load_from_cache_file=False" in source
    assert "assert rewritten" in source
    assert "streaming=True" in source and ".take(3)" in source
    assert "assert peak_growth" not in source and "memory_info().rss" in source  # the bar: test_executed_headline_measured_facts
    assert "headline(" in source


def test_lesson_apis_are_visible(source):
    for call in ('load_dataset("csv", data_files=files', 'load_dataset("json"', 'load_dataset("parquet"',
                 "load_dataset(HUB_DATASET, HUB_CONFIG", 'delimiter="\\t"', "ClassLabel(names=",
                 ".to_pandas()", ".filter(", ".sort(", ".shuffle(seed=SEED)", ".train_test_split(",
                 "stratify_by_column=", ".select_columns(", ".rename_column(", '.set_format("torch")',
                 ".with_transform(", ".save_to_disk(", "load_from_disk(", "cache_dir=str(CACHE_DIR)"):
        assert call in source, call
    assert "shutil.rmtree(WORK" in source, "the cache demo starts from an empty lesson cache on every run"


def test_seed_mistakes_are_shown_with_their_current_form(source, prose):
    assert "reviews.to_pandas()" in source and 'reviews["train"].to_pandas()' in source
    assert 'train_tokenized["train"]' in source and "reviews.map(tokenize, batched=True)" in source
    assert 'load_dataset("glue", "sst2")' in prose and 'load_dataset("nyu-mll/glue", "sst2")' in prose
    assert "Dataset scripts are no longer supported" not in source  # the error comes from the library itself
    assert "load_dataset(str(legacy))" in source
    assert prose.count("이전 코드 → 현재 코드") >= 4


def test_every_checker_is_used_with_a_solution_region(nb):
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    assert any("from hflab.exercises import data_ops as ex06" in s for s in cells)
    checkers = [f for f in vars(ex06).values() if hasattr(f, "exercise_id")]
    assert len(checkers) >= 3
    for check in checkers:
        using = [s for s in cells if f"ex06.{check.__name__}(" in s]
        assert using, f"{check.__name__} is not used in the notebook"
        assert all("# BEGIN SOLUTION" in s and "# END SOLUTION" in s for s in using)


def test_student_build_finds_every_exercise(nb):
    from hflab.student import expected_exercises

    ids = [eid for _, eid in expected_exercises(nb, lesson=STEM)]
    assert ids == ["06.1", "06.2", "06.3", "06.4"]


def test_exercises_module_does_not_shadow_the_datasets_library():
    import datasets

    assert Path(datasets.__file__).parent.name == "datasets" and "hflab" not in datasets.__file__
    assert not (ROOT / "hflab" / "exercises" / "datasets.py").exists()


# --- the executed notebook ------------------------------------------------------------------


@pytest.fixture(scope="module")
def executed(build_dir):
    out = build_dir / NB.name
    if not out.exists() or out.stat().st_mtime < NB.stat().st_mtime:
        from hflab.runner import run_notebook

        r = run_notebook(NB, out)
        assert r.ok, f"{NB.name} 실행 실패: {r.error}"
    return nbformat.read(out, as_version=4)


@pytest.fixture(scope="module")
def values(executed):
    head = headline_from_notebook(executed)
    assert head is not None, "headline() 출력이 없습니다"
    return head["values"]


@pytest.mark.notebook
def test_executed_headline_measured_facts(values):
    assert values["batched_speedup"] > 1.2 and values["t_unbatched_s"] > values["t_batched_s"]
    assert values["cache_speedup"] > 2 and values["t_cached_map_s"] < values["t_first_map_s"] / 2
    assert values["stream_rss_growth_mb"] < values["stream_file_mb"] / 4


@pytest.mark.notebook
def test_streamed_file_on_disk_matches_the_claims(values):
    from hflab.course import build_dir

    big = build_dir() / STEM / "reviews_big.jsonl"
    assert big.is_file()
    assert abs(big.stat().st_size / 1e6 - values["stream_file_mb"]) < 1e-3
    with open(big, "rb") as f:
        rows = sum(1 for _ in f)
    assert rows == values["stream_rows"]


@pytest.mark.notebook
def test_cache_and_saved_folder_left_by_the_run(executed):
    from datasets import load_from_disk

    from hflab.course import build_dir

    work = build_dir() / STEM
    caches = list((work / "hf_cache").rglob("cache-*.arrow"))
    assert caches, "the lesson's own cache_dir holds the map cache files"
    saved = load_from_disk(str(work / "reviews_model_ready"))
    assert set(saved.keys()) == {"train", "validation", "test"}
    assert saved["train"].column_names == ["input_ids", "attention_mask", "labels"]
    assert saved["train"].format["type"] == "torch"


@pytest.mark.notebook
def test_every_exercise_passed(executed):
    from hflab.student import exercise_results

    results = exercise_results(executed)
    assert sorted(r["id"] for r in results) == ["06.1", "06.2", "06.3", "06.4"]
    assert all(r["passed"] for r in results), results
