"""Every Hub id a notebook names is in hflab/catalog.py (one place to spot a wrong id)."""
import ast
import re

import nbformat
import pytest

from hflab import catalog, offline
from hflab.runner import all_offline_parameters, discover

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")
LOCAL_PREFIXES = ("build/", "notebooks/", "hflab/", "data/", "./", "../", "/")
FILE_EXT = re.compile(r"\.(csv|tsv|jsonl?|parquet|txt|ipynb|py|md|ya?ml)$")


def hub_ids_in(value):
    if isinstance(value, str):
        if HUB_ID.match(value) and not value.startswith(LOCAL_PREFIXES) and not FILE_EXT.search(value):
            yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from hub_ids_in(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from hub_ids_in(v)


def _literals(src):
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


@pytest.mark.parametrize("path", discover(), ids=lambda p: p.stem)
def test_parameters_cell_ids_are_catalogued(path):
    nb = nbformat.read(path, as_version=4)
    src = "\n".join(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    missing = sorted({i for lit in _literals(src) for i in hub_ids_in(lit) if i not in catalog.CATALOG})
    assert not missing, f"{path.name}: 카탈로그에 없는 Hub id {missing} → hflab/catalog.py 에 용도와 함께 추가하세요"
    for lit in _literals(src):
        for i in hub_ids_in(lit):
            assert path.stem in catalog.CATALOG[i].lessons, f"{i}: catalog의 lessons 에 {path.stem} 를 적으세요"


def test_offline_parameters_use_catalogued_ids():
    for stem, params in all_offline_parameters().items():
        for i in hub_ids_in(params):
            assert i in catalog.CATALOG, f"{stem}: 오프라인 매개변수의 {i} 가 카탈로그에 없습니다"


def test_mirror_and_catalog_agree():
    assert set(catalog.mirror_ids()) == {m.repo_id for m in offline.MODELS}


def test_unknown_id_gets_korean_message():
    with pytest.raises(catalog.HflabError, match="카탈로그에 없는"):
        catalog.entry("nobody/not-a-model")
