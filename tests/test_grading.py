"""hflab.grading: grades nobody can forge (issue 27, Grading).

A small course notebook (lesson ``99_demo``, written here) with three exercises: a number
(00.1), a dict (00.2) and a function the checker calls (08.1, compute_metrics). One grading
run (``jobs=2``) takes a class of hand-made submissions: forged reports and printed markers,
rebound checkers, solution reading, a deleted exercise, four identical notebooks that fight
over build/, an unreadable file, student-controlled text that a spreadsheet would run.
"""
from __future__ import annotations

import copy
import json
import math
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from hflab.grading import csv_cell, grade, namespaces_work, read_csv, write_csv
from hflab.grading import GradeRow
from hflab.grading.transport import Decoder, TransportError
from hflab.student import build_student

STEM = "99_demo"
IDS = ["00.1", "00.2", "08.1"]
CHECKOUT = Path(__file__).resolve().parent.parent
SECRETS = {"GH_PAT": "ghp_CANARYpat0123456789", "DATABASE_URL": "postgres://u:CANARYdb@h/db",
           "DB_PASSWD": "CANARYpasswd", "MY_SERVICE_CREDS": "CANARYcreds"}
METRICS = '''import numpy as np
# BEGIN SOLUTION
def my_compute_metrics(eval_pred):
    logits, labels = eval_pred
    pred = np.argmax(logits, axis=-1)
    tp = int(((pred == 1) & (labels == 1)).sum())
    fp = int(((pred == 1) & (labels == 0)).sum())
    fn = int(((pred == 0) & (labels == 1)).sum())
    return {"accuracy": float((pred == labels).mean()), "f1": 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)}
# END SOLUTION
hflab.exercises.trainer.check_compute_metrics(my_compute_metrics)'''


def course_notebook() -> nbformat.NotebookNode:
    params = new_code_cell("n_params = 135_000_000")
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[
        new_markdown_cell("# 99. 채점 시험"),
        params,
        new_code_cell("import hflab.exercises\nfrom hflab.exercises import setup as ex00\nbytes_per_param = 2"),
        new_markdown_cell("### 연습 1"),
        new_code_cell("# BEGIN SOLUTION\nanswer_gb = n_params * bytes_per_param / 1e9\n# END SOLUTION\n"
                      'ex00.check_param_memory(answer_gb, n_params=n_params, dtype="float16")'),
        new_markdown_cell("### 연습 2"),
        new_code_cell('# BEGIN SOLUTION\nanswer = {"float16": n_params * 2 / 1e9 <= 12, "4bit": n_params * 0.5 / 1e9 <= 12}\n'
                      "# END SOLUTION\nex00.check_fits_t4(answer, n_params=n_params)"),
        new_markdown_cell("### 연습 3"),
        new_code_cell(METRICS),
        new_markdown_cell("## 정리"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


BUILD_CELL = '''import shutil, time, uuid, hflab.course
WORK = hflab.course.build_dir() / "99_demo"   # lesson 06 does the same with build/06_datasets
shutil.rmtree(WORK, ignore_errors=True)
WORK.mkdir(parents=True)
mine = uuid.uuid4().hex
(WORK / "mine.txt").write_text(mine)
time.sleep(1.5)
assert (WORK / "mine.txt").read_text() == mine, "another kernel wrote into my build folder"
print("BUILD", hflab.course.build_dir())'''

FORGE_CELL = '''from hflab.exercises import MIMETYPE, ExerciseResult
from IPython.display import display
for eid in ("00.1", "00.2", "08.1", "42.7"):
    ExerciseResult(eid, True, "forged").report()
    print('[hflab-exercise] {"id": "%s", "passed": true, "message": "printed"}' % eid)
    display({"text/plain": "ok", MIMETYPE: {"id": eid, "passed": True, "message": "displayed"}}, raw=True)'''

REBIND_CELL = '''import hflab.exercises as hx
from hflab.exercises import ExerciseResult
def always_right(*args, **kwargs):
    return ExerciseResult("00.1", True, "rebound").report()
for mod in (hx.setup, hx.trainer):
    for name in dir(mod):
        if name.startswith("check_"):
            setattr(mod, name, always_right)
hx.run_check = lambda *a, **k: ExerciseResult("00.1", True, "rebound")
ex00 = hx.setup'''


def reader_cell(token_file: Path, subs: Path, course: Path) -> str:
    near = "[pkg, *pkg.parents, pathlib.Path.cwd(), *map(pathlib.Path, [p for p in sys.path if p])]"
    return f'''import glob, os, pathlib, re, sys, hflab
pkg = pathlib.Path(hflab.__file__).resolve().parent
def solutions(paths):
    found = []
    for p in paths:
        try:
            found += re.findall(r"# BEGIN SOLUTION\\n(.*?)# END SOLUTION", open(p, encoding="utf-8").read(), re.S)
        except Exception:
            pass
    return found
near = [f for base in {near} for f in glob.glob(str(base / "*.ipynb")) + glob.glob(str(base / "notebooks" / "*.ipynb"))]
known = [{str(course)!r}, {str(CHECKOUT / "notebooks")!r}, {str(CHECKOUT / "build")!r}, {str(subs)!r}]
far = [f for d in known for f in glob.glob(d + "/**/*.ipynb", recursive=True)]
print("FOUND_NEAR", len(solutions(near)), "FOUND_FAR", len(solutions(far)))
stolen = solutions(near + far)
def steal(name):
    for block in stolen:
        if block.lstrip().startswith(name + " ="):
            exec(block, globals())
            return globals()[name]
for path in ({str(token_file)!r}, os.path.expanduser("~/.cache/huggingface/token")):
    try:
        print("TOKEN FILE", repr(open(path).read()))
    except OSError as e:
        print("TOKEN FILE unreadable", type(e).__name__)
print("SIBLINGS", sorted(os.listdir(pathlib.Path.cwd().parent)) == [pathlib.Path.cwd().name])
print("ENV", dict(os.environ))'''


def _write(nb, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def _class(tmp: Path, token_file: Path):
    course = tmp / "course"
    _write(course_notebook(), course / f"{STEM}.ipynb")
    subs = tmp / "subs"
    good = course_notebook()
    good.cells.insert(3, new_code_cell(BUILD_CELL))
    for name in ("good", "good2", "good3", "good4"):  # identical submissions, graded two at a time
        _write(good, subs / name / f"{STEM}.ipynb")
    _write(new_notebook(cells=[new_code_cell(FORGE_CELL)]), subs / '=HYPERLINK("evil.test","A+")' / f"{STEM}.ipynb")
    wrong = course_notebook()
    wrong.cells.insert(3, new_code_cell(REBIND_CELL))
    wrong.cells[5].source = 'answer_gb = 999\nex00.check_param_memory(answer_gb, n_params=n_params, dtype="float16")'
    wrong.cells[7].source = 'answer = {"float16": False, "4bit": False}\nex00.check_fits_t4(answer, n_params=n_params)'
    wrong.cells[9].source = ('def my_compute_metrics(p):\n    return {"accuracy": 0.0, "f1": 0.0}\n'
                             "hflab.exercises.trainer.check_compute_metrics(my_compute_metrics)")
    _write(wrong, subs / "rebinder" / f"{STEM}.ipynb")
    (built,) = build_student(course, tmp / "student")
    stub = nbformat.read(built, as_version=4)
    stub.cells.insert(0, new_markdown_cell("학생이 넣은 메모"))  # shifts every cell by one
    _write(stub, subs / "stub" / f"{STEM}.ipynb")
    reader = nbformat.read(built, as_version=4)
    reader.cells.insert(3, new_code_cell(reader_cell(token_file, subs, course)))
    reader.cells[5].source = ('answer_gb = steal("answer_gb")\n'
                              'ex00.check_param_memory(answer_gb, n_params=n_params, dtype="float16")')
    _write(reader, subs / "reader" / f"{STEM}.ipynb")
    deleter = course_notebook()
    del deleter.cells[5:7]  # exercise 2's prompt and cell
    _write(deleter, subs / "deleter" / f"{STEM}.ipynb")
    (subs / "uma").mkdir()
    (subs / "uma" / f"{STEM}.ipynb").write_text("{ not json", encoding="utf-8")
    odd = course_notebook()
    odd.metadata["hflab"] = {"lesson": "@SUM(A1)"}
    _write(odd, subs / "atsum.ipynb")
    return course, subs


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grading")
    token_file = tmp / "instructor-token"
    token_file.write_text("hf_CANARYinstructorTokenFile")
    course, subs = _class(tmp, token_file)
    mp = pytest.MonkeyPatch()
    for k, v in SECRETS.items():
        mp.setenv(k, v)
    mp.setenv("HF_TOKEN_PATH", str(token_file))
    try:
        rows = grade(subs, tmp / "grades.csv", timeout_s=240, executed_dir=tmp / "executed", jobs=2,
                     course_dir=course, parameters={STEM: {"n_params": 1_500_000_000}})
    finally:
        mp.undo()
    return {"rows": rows, "tmp": tmp, "csv": tmp / "grades.csv", "executed": tmp / "executed", "subs": subs,
            "table": {(r.student, r.exercise): r for r in rows}}


def _scores(graded, student):
    return {eid: graded["table"][student, eid].status for eid in IDS}


def test_identical_submissions_in_parallel_each_get_their_own_build(graded):
    builds = set()
    for name in ("good", "good2", "good3", "good4"):
        assert _scores(graded, name) == dict.fromkeys(IDS, "passed"), name
        assert (name, "") not in graded["table"], graded["table"].get((name, ""))
        nb = nbformat.read(graded["executed"] / name / f"{STEM}.ipynb", as_version=4)
        text = "".join(o.get("text", "") for o in nb.cells[4].outputs)
        builds.add(re.search(r"BUILD (\S+)", text).group(1))
    assert len(builds) == 4 and not any(b.startswith(str(CHECKOUT)) for b in builds)
    # the injected offline parameter reached the kernel and the grader's checker saw it
    assert "1,500,000,000" in graded["table"]["good", "00.1"].message


def test_forged_reports_printed_markers_and_invented_ids_count_for_nothing(graded):
    student = '=HYPERLINK("evil.test","A+")'
    assert _scores(graded, student) == dict.fromkeys(IDS, "missing")
    assert all(not r.passed for r in graded["rows"] if r.student == student)
    assert not any(r.exercise == "42.7" for r in graded["rows"])


def test_rebound_checkers_do_not_change_the_grade(graded):
    assert _scores(graded, "rebinder") == dict.fromkeys(IDS, "failed")
    assert "f1" in graded["table"]["rebinder", "08.1"].message or "accuracy" in graded["table"]["rebinder", "08.1"].message


def test_every_exercise_of_the_lesson_has_a_row(graded):
    assert _scores(graded, "deleter") == {"00.1": "passed", "00.2": "missing", "08.1": "passed"}
    assert "지우지 말고" in graded["table"]["deleter", "00.2"].message
    assert _scores(graded, "uma") == dict.fromkeys(IDS, "not_run") and graded["table"]["uma", ""].status == "unreadable"
    assert graded["table"]["atsum", ""].status == "unknown_lesson"
    for student in {r.student for r in graded["rows"]} - {"atsum"}:
        assert sorted(r.exercise for r in graded["rows"] if r.student == student and r.exercise) == IDS, student


def test_feedback_cell_numbers_are_the_students(graded):
    nb = nbformat.read(graded["subs"] / "stub" / f"{STEM}.ipynb", as_version=4)
    for eid, call in (("00.1", "check_param_memory"), ("00.2", "check_fits_t4"), ("08.1", "check_compute_metrics")):
        row = graded["table"]["stub", eid]
        position = next(i + 1 for i, c in enumerate(nb.cells) if call in c.source)
        assert row.status == "unanswered" and f"{position}번째 셀" in row.message, row


def test_solutions_are_not_reachable_from_the_kernel(graded):
    nb = nbformat.read(graded["executed"] / "reader" / f"{STEM}.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    near, far = map(int, re.search(r"FOUND_NEAR (\d+) FOUND_FAR (\d+)", text).groups())
    assert near == 0, "solutions next to the installed package or on sys.path"
    if namespaces_work():  # the mount namespace also covers absolute paths and the other grading folders
        assert far == 0 and "SIBLINGS True" in text
        assert graded["table"]["reader", "00.1"].status == "failed"
    assert "hf_CANARYinstructorTokenFile" not in text


def test_nothing_of_the_graders_environment_reaches_kernel_csv_or_copies(graded, canary):
    texts = [graded["csv"].read_text(encoding="utf-8-sig")]
    texts += [p.read_text(encoding="utf-8") for p in graded["executed"].rglob("*.ipynb")]
    nb = nbformat.read(graded["executed"] / "reader" / f"{STEM}.ipynb", as_version=4)
    env_line = next(o["text"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
                    if "ENV {" in o.get("text", ""))
    assert "HF_HUB_OFFLINE" in env_line  # the print ran
    for secret in [*SECRETS.values(), canary, "hf_CANARYinstructorTokenFile"]:
        assert not any(secret in t for t in texts), secret
    for name in [*SECRETS, "HF_TOKEN", "VIRTUAL_ENV"]:
        assert f"'{name}'" not in env_line


def test_csv_escapes_formulas(graded):
    import csv

    with graded["csv"].open(encoding="utf-8-sig", newline="") as f:
        cells = [c for row in csv.reader(f) for c in row]
    assert cells and not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    rows = read_csv(graded["csv"])
    assert any(r["student"] == "'=HYPERLINK(\"evil.test\",\"A+\")" for r in rows)
    assert any(r["notebook"] == "'@SUM(A1)" for r in rows)
    assert len(rows) == len(graded["rows"])


def test_a_hung_cell_is_cut_off_and_later_exercises_are_graded(tmp_path):
    course = tmp_path / "course"
    _write(course_notebook(), course / f"{STEM}.ipynb")
    nb = course_notebook()
    nb.cells[4].source = 'while True:\n    pass\nex00.check_param_memory(answer_gb, n_params=n_params, dtype="float16")'
    _write(nb, tmp_path / "subs" / "hang" / f"{STEM}.ipynb")
    # 10 s per cell (exercise 3's own cell imports transformers), far less than the notebook's 120 s
    rows = grade(tmp_path / "subs", tmp_path / "g.csv", timeout_s=120, cell_timeout_s=10, course_dir=course)
    table = {(r.student, r.exercise): r for r in rows}
    assert table["hang", "00.1"].status == "error", table["hang", "00.1"]
    assert "시간 제한(10초)" in table["hang", "00.1"].message and "5번째 셀" in table["hang", "00.1"].message
    assert table["hang", "00.2"].status == "passed", table["hang", "00.2"]
    assert table["hang", "08.1"].status == "passed", table["hang", "08.1"]
    assert ("hang", "") not in table  # the cut-off exercise cell is reported in its own row


def test_hflab_grade_with_a_cut_off_cell_ends_cleanly(tmp_path):
    """`hflab grade --jobs 2` whose kernels had a cell cut off prints no asyncio noise at exit (issue 26)."""
    import subprocess
    import sys

    check = 'ex00.check_param_memory(answer_gb, n_params=n_params, dtype="float16")'
    for name, body in (("hang", "while True:\n    pass\n"), ("done", "answer_gb = n_params * 2 / 1e9\n")):
        nb = new_notebook(cells=[new_code_cell("from hflab.exercises import setup as ex00\nn_params = 7e9"),
                                 new_code_cell(body + check)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        _write(nb, tmp_path / "subs" / name / "00_setup.ipynb")  # lesson 00 of the course, two cells only
    proc = subprocess.run([sys.executable, "-m", "hflab.cli", "grade", str(tmp_path / "subs"), "--out",
                           str(tmp_path / "g.csv"), "--jobs", "2", "--cell-timeout", "3"],
                          capture_output=True, text=True, timeout=180, cwd=tmp_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "Task was destroyed" not in output and "Traceback" not in output and "never retrieved" not in output, output
    table = {(r["student"], r["exercise"]): r for r in read_csv(tmp_path / "g.csv")}
    assert table["hang", "00.1"]["status"] == "error" and "시간 제한(3초)" in table["hang", "00.1"]["message"]
    assert table["done", "00.1"]["status"] == "passed"


# --- the pieces, without a kernel ---------------------------------------------------------------


def _roundtrip(value, folder: Path):
    from hflab.grading import _kernel

    node = json.loads(json.dumps(_kernel._Encoder(str(folder)).encode(value)))
    return Decoder(folder).decode(node)


def test_transport_plain_values_and_arrays(tmp_path):
    import numpy as np
    import torch

    value = {1: [1, (2, "셋")], "b": b"\x00\xff", "s": {3}, "f": frozenset({4}), "x": None, "t": True}
    assert _roundtrip(value, tmp_path) == value
    assert math.isnan(_roundtrip(float("nan"), tmp_path))
    t = torch.arange(6, dtype=torch.bfloat16).reshape(2, 3)
    back = _roundtrip(t, tmp_path)
    assert back.dtype == torch.bfloat16 and torch.equal(back, t)
    arr = np.random.default_rng(0).normal(size=(600, 600)).astype("float32")  # > 1 MiB: saved as .npy
    assert np.array_equal(_roundtrip(arr, tmp_path), arr)
    assert _roundtrip(np.int64(7), tmp_path) == 7


def test_transport_course_objects(tmp_path):
    import torch
    from datasets import ClassLabel, Dataset, Features, Value
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, EvalResult
    from transformers import DataCollatorWithPadding, GenerationConfig, TrainingArguments

    ds = Dataset.from_dict({"text": ["좋아요", "별로"], "label": [1, 0]},
                           features=Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])}))
    back = _roundtrip(ds, tmp_path)
    assert back.features == ds.features and back.to_list() == ds.to_list()
    args = TrainingArguments(output_dir=str(tmp_path / "out"), eval_strategy="epoch", report_to="none")
    assert isinstance(_roundtrip(args, tmp_path), TrainingArguments)
    assert _roundtrip(GenerationConfig(do_sample=False, max_new_tokens=5), tmp_path).max_new_tokens == 5
    ops = _roundtrip([CommitOperationAdd("a.txt", b"hi"), CommitOperationDelete("b.txt")], tmp_path)
    assert [type(o).__name__ for o in ops] == ["CommitOperationAdd", "CommitOperationDelete"]
    assert ops[0].path_in_repo == "a.txt"
    result = EvalResult(task_type="text-classification", dataset_type="x/y", dataset_name="y", metric_type="accuracy",
                        metric_value=0.9)
    assert _roundtrip(result, tmp_path) == result
    assert _roundtrip({"pad": DataCollatorWithPadding}, tmp_path)["pad"] is DataCollatorWithPadding
    skeleton = _roundtrip(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU()), tmp_path)
    assert isinstance(skeleton[0], torch.nn.Linear) and skeleton[0].in_features == 4
    assert [n for n, _ in skeleton.named_modules()] == ["", "0", "1"] and type(skeleton[1]).__name__ == "ReLU"


def test_transport_tokenizer_keeps_what_checkers_read(tmp_path):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")
    tok.padding_side = "left"
    back = _roundtrip({"tok": tok, "batch": tok(["a b c", "a"], padding=True, return_tensors="pt")}, tmp_path)
    assert back["tok"].padding_side == "left"
    assert back["tok"](["a b c", "a"], padding=True)["input_ids"] == back["batch"]["input_ids"].tolist()
    from transformers import DataCollatorForLanguageModeling, DataCollatorWithPadding  # lesson 07.2's answers

    collators = _roundtrip({"pad": DataCollatorWithPadding(tok), "clm": DataCollatorForLanguageModeling(tok, mlm=False)},
                           tmp_path)
    assert type(collators["pad"]).__name__ == "DataCollatorWithPadding" and collators["clm"].mlm is False


@pytest.mark.parametrize("node", [
    {"$": "class", "module": "os", "name": "system"},
    {"$": "class", "module": "subprocess", "name": "Popen"},
    {"$": "class", "module": "transformers", "name": "pipeline"},  # a function, not a class
    {"$": "dataclass", "module": "__main__", "name": "Anything", "fields": {}},
    {"$": "ndarray", "dtype": "|O", "shape": [1], "b64": ""},
    {"$": "tokenizer", "dir": "../../.."},
    {"$": "_array"},
    {"$": "function", "ref": 1},  # no kernel to call it in
    {"no": "tag"},
])
def test_transport_refuses_what_is_not_data(node, tmp_path):
    with pytest.raises(TransportError):
        Decoder(tmp_path / "capture").decode(node)


def test_csv_cell_escaping(tmp_path):
    for text in ("=1+1", "+1", "-1", "@x", "\tx", "\rx", "＝1"):
        assert csv_cell(text) == "'" + text
    assert csv_cell("정답입니다") == "정답입니다"
    path = write_csv([GradeRow("=a", "+b", "-c", "@d", None, '=HYPERLINK("x")')], tmp_path / "g.csv")
    (row,) = read_csv(path)
    assert {k: v for k, v in row.items() if k != "passed"} == {
        "student": "'=a", "notebook": "'+b", "exercise": "'-c", "status": "'@d", "message": "'=HYPERLINK(\"x\")"}


def test_lessons_come_from_the_course_source():
    from hflab.grading.lessons import course_exercises

    exercises = course_exercises("06_datasets")
    assert [e.id for e in exercises] == ["06.1", "06.2", "06.3", "06.4"]
    first = exercises[0]
    assert first.answer_name == "answer" and dict(first.kwargs)["min_chars"].literal
    assert dict(first.kwargs)["min_chars"].value == 30 and not dict(first.kwargs)["dataset"].literal
    assert course_exercises("42_nothing") is None


def test_isolation_required_but_unavailable_says_what_to_do(monkeypatch, tmp_path):
    from hflab.grading import IsolationError, sandbox

    monkeypatch.setattr(sandbox, "namespaces_work", lambda: False)
    (tmp_path / "subs").mkdir()
    with pytest.raises(IsolationError, match="격리"):
        grade(tmp_path / "subs", tmp_path / "g.csv", isolate=True)


def test_the_kernel_env_is_built_from_the_allow_list(monkeypatch, tmp_path):
    from hflab.grading import Workspace

    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)
    ws = Workspace(tmp_path)
    try:
        env = ws.submission().env
    finally:
        ws.close()
    assert not set(SECRETS) & set(env) and "HF_TOKEN" not in env and "VIRTUAL_ENV" not in env
    assert env["HOME"].startswith(str(ws.root)) and env["PYTHONPATH"] == str(ws.pkg)
    assert not any(v and str(CHECKOUT) in v for k, v in env.items() if k not in ("PATH", "LD_LIBRARY_PATH"))
