"""Lesson 01 (Hub account and access token): structure, checkers, and what the executed notebook shows.

Fast tests read the committed notebook. The `notebook`-marked test executes it once offline (practice
hub) and checks what the learner sees beyond the notebook's own asserts: the byte-identical round trip
table, the Korean error messages, that no token (the canary, or any token the practice hub issued in
the run) appears in the outputs, and that the offline mirror in the HF cache is left untouched.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest

from hflab import catalog
from hflab.exercises import hub_token
from hflab.runner import offline_parameters, run_notebook

NB = Path(__file__).resolve().parent.parent / "notebooks" / "01_hub_token.ipynb"
TOKEN_LIKE = re.compile(r"hf_[A-Za-z0-9]{16,}")


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NB, as_version=4)


@pytest.fixture(scope="module")
def code(nb):
    return [c.source for c in nb.cells if c.cell_type == "code"]


def _params(nb) -> dict:
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    return {t.id: node.value.value for node in ast.parse(cell.source).body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(node.value, ast.Constant)}


def test_defaults_use_the_real_hub_and_offline_starts_the_practice_hub(nb):
    p = _params(nb)
    assert p["USE_PRACTICE_HUB"] is False and p["HUB_ENDPOINT"] is None
    assert offline_parameters("01_hub_token")["USE_PRACTICE_HUB"] is True
    assert catalog.entry(p["GATED_REPO"]).gated and "01_hub_token" in catalog.entry(p["GATED_REPO"]).lessons
    assert "01_hub_token" in catalog.entry(p["MODEL_REPO"]).lessons
    assert p["MY_REPO_NAME"].startswith("hflab-01"), "write cells on the real Hub use the lesson prefix"


def test_no_token_is_written_in_any_cell_and_none_is_printed(nb, code):
    for cell in nb.cells:
        assert not TOKEN_LIKE.search(cell.source), "a token-shaped string is written in a cell"
    src = "\n".join(code)
    # IPython magics (the install cell's %pip) become `pass` so every cell parses as Python
    no_magic = re.sub(r"^(\s*)[%!].*$", r"\1pass", src, flags=re.M)
    for node in ast.walk(ast.parse(no_magic)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in (
                "login", "notebook_login", "interpreter_login"):
            # login() without arguments: skips when a token exists, else opens the login window; a token= argument
            # would put the token in the cell
            assert not node.args and not node.keywords, f"login() with arguments: {ast.unparse(node)}"
        if isinstance(node, ast.Subscript) and ast.unparse(node).startswith("os.environ"):
            raise AssertionError("the lesson must not read environment variables into outputs")
    assert "print(hub.token" not in src and "print(source.token" not in src
    # the writes on the real Hub go to the learner's own namespace, private
    assert "MY_REPO = f\"{me['name']}/{MY_REPO_NAME}\"" in src
    assert "api.create_repo(MY_REPO, private=True, exist_ok=True)" in src


def test_show_facts_are_in_the_notebook(nb, code):
    src = "\n".join(code)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    # the library's own calls are the lesson (issue 22); hflab only explains around them
    for call in ("login()", "hflab.auth.token_source()", "me = api.whoami()", 'me["auth"]["accessToken"]',
                 "hflab.auth.write_access(me, MY_REPO)", "api.auth_check(MY_REPO, token=False)",
                 "api.auth_check(repo_id, token=token)", "except (GatedRepoError, RepositoryNotFoundError) as err:",
                 "hflab.auth.explain(err", "except HfHubHTTPError as err:", 'hub.token_for(kind)',
                 "api.list_repo_files(MODEL_REPO)",
                 'hf_hub_download(MODEL_REPO, "config.json"', "api.model_info(MODEL_REPO, files_metadata=True)",
                 "safe_open(", "ModelCard.load(readme_path)", "api.upload_folder(", "api.snapshot_download(MY_REPO",
                 "hub.activate(export_token=PRACTICE_TOKEN)", "hub.add_repo_from_cache(MODEL_REPO)", 'gated="manual"',
                 "hub.revoke_token(", "hflab.report.headline(", "try_access(GATED_REPO"):
        assert call in src, call
    assert 'assert round_trip["내려받은 것과 같은가"].all()' in src
    assert "huggingface-cli login" in prose and "hf auth login" in prose and "이전 코드 → 현재 코드" in prose
    assert 'login(token="hf_...")' in prose
    for hidden in ("hflab.auth.resolve_token(", "hflab.auth.whoami(", "hflab.auth.check_repo_access(",
                   "hflab.auth.translate_error(", "hflab.auth.HubAuthError as err:\n        rows.append({\"경우\": label, \"결과\": type"):
        assert hidden not in src, f"hflab stands in for the library here: {hidden}"
    for word in ("Models", "Datasets", "Spaces", "Docs", "fine-grained", "최소 권한", "폐기", "getpass", "notebook_login"):
        assert word in prose, word


def test_every_checker_is_used_with_a_solution_region(nb):
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    checks = [c for c in vars(hub_token).values() if hasattr(c, "exercise_id")]
    assert len(checks) >= 3
    for check in checks:
        using = [s for s in cells if f"hflab.exercises.hub_token.{check.__name__}(" in s]
        assert using, f"{check.__name__} is not used in the notebook"
        assert all("# BEGIN SOLUTION" in s and "# END SOLUTION" in s for s in using)


def test_checkers_never_repeat_the_token_they_check():
    from hflab.exercises import _silent_call

    tok = hub_token.fake_token(11)
    for wrong in (tok, tok[:12] + "…" + tok[-2:], tok[:5] + "..." + tok[-2:], "x", tok[:4] + "…" + tok[-2:]):
        result = _silent_call(hub_token.check_mask, dict(answer=wrong, token=tok))
        assert not result.passed and tok[5:-2] not in result.message and tok not in result.message


def test_least_privilege_table_is_computed_from_task_attributes():
    for task, (_, writes, scoped) in hub_token.TASKS.items():
        role = hub_token.least_privilege_role(task)
        assert role == ("fine-grained" if scoped else "write" if writes else "read")
    assert hub_token.PREFERENCE[:2] == ("colab_secret", "env")  # same order as hflab.auth.resolve_token's search


@pytest.mark.notebook
def test_executed_notebook_shows_the_round_trip_and_korean_errors_without_tokens(tmp_path, canary):
    from hflab import offline
    from hflab.course import build_dir

    refs = sorted((offline.hub_cache()).glob("models--*/refs/main"))
    before = {p: p.read_text() for p in refs}
    out = tmp_path / "01_hub_token.ipynb"
    r = run_notebook(NB, out)
    assert r.ok, r.error
    text = out.read_text(encoding="utf-8")

    # no token: the canary, and every token the practice hub knows (write, read, the revoked one)
    tokens = json.loads((build_dir() / "01_hub_token" / "practice_hub" / "tokens.json").read_text())
    assert len(tokens) >= 3
    for secret in [canary, *tokens]:
        assert secret not in text
    assert not TOKEN_LIKE.search(text.replace("hf_…", "")), "a token-shaped string appeared in the outputs"

    # the headline and the byte-identical round trip table
    assert r.headline and r.headline["values"]["files"] >= 5 and "바이트 단위로 동일" in r.headline["text"]
    executed = nbformat.read(out, as_version=4)
    (table,) = [c for c in executed.cells if c.cell_type == "code" and "round_trip = pd.DataFrame" in c.source]
    html = next(o.data["text/html"] for o in table.outputs if "data" in o and "text/html" in o.data)
    assert html.count("<td>True</td>") == r.headline["values"]["files"] and "<td>False</td>" not in html

    # what the learner sees when things go wrong: Korean messages with the fix
    for words in ("GatedRepoError, HTTP 401", "GatedRepoError, HTTP 403", "승인 뒤 내 토큰으로: ✅",
                  "HfHubHTTPError, HTTP 401", "폐기(revoke)되었습니다", "read 토큰으로 쓰기: [HfHubHTTPError, HTTP 403]",
                  "fine-grained 토큰으로 쓰기: [HfHubHTTPError, HTTP 403]", "repo.write", "RepositoryNotFoundError",
                  "TokenFormatError (요청 전)", "→ 해결:", "(환경 변수 HF_TOKEN)"):
        assert words in text, words

    # the offline mirror's cache was only read: refs/main of every cached model is unchanged
    assert {p: p.read_text() for p in refs} == before


@pytest.mark.notebook
@pytest.mark.parametrize("kind, role", [("read", "read"), ("fine-grained", "fineGrained")])
def test_a_token_that_cannot_write_runs_the_lesson_to_the_end(tmp_path, canary, kind, role):
    """A learner with a read token (or a fine-grained one without repo.write) reaches the write step: it explains
    itself in Korean, skips the upload and the lesson goes on to its exercises."""
    out = tmp_path / f"01_hub_token_{kind}.ipynb"
    r = run_notebook(NB, out, parameters={**offline_parameters("01_hub_token"), "PRACTICE_TOKEN": kind})
    assert r.ok, r.error
    assert r.headline["values"] == {"files": 0, "bytes": 0, "token_role": role} and "건너뜀" in r.headline["text"]
    text = out.read_text(encoding="utf-8")
    assert "→ 업로드는 건너뛰고" in text and "→ 해결:" in text and canary not in text
    assert ("read 토큰이라 저장소를 만들거나 올릴 수 없습니다" if kind == "read" else "쓰는 권한(repo.write)이 없습니다") in text
    executed = nbformat.read(out, as_version=4)
    from hflab.student import exercise_results

    results = exercise_results(executed)
    assert len(results) >= 5 and all(x["passed"] for x in results), results
