"""The CLI wires each command to an hflab function that exists (help text is cheap to check)."""
from typer.testing import CliRunner

from hflab.cli import app

runner = CliRunner()


def test_top_level_commands_are_listed():
    out = runner.invoke(app, ["--help"]).output
    for cmd in ("doctor", "mirror", "models", "course", "student", "solutions", "grade", "bench", "hub", "serve"):
        assert cmd in out, f"`hflab {cmd}` is missing from --help"


def test_bench_commands_are_listed_and_their_functions_exist():
    out = runner.invoke(app, ["bench", "--help"]).output
    for cmd in ("pipeline", "padding", "lora", "serve"):
        assert cmd in out, f"`hflab bench {cmd}` is missing"
    from hflab.bench import bench_padding, bench_pipeline
    from hflab.lora_bench import bench_lora
    from hflab.serve import bench_serve, cli_serve
    assert all(callable(f) for f in (bench_padding, bench_pipeline, bench_lora, bench_serve, cli_serve))


def test_serve_requires_model_and_task():
    r = runner.invoke(app, ["serve"])
    assert r.exit_code != 0 and "--model" in r.output


def test_serve_on_the_network_needs_an_api_key():
    r = runner.invoke(app, ["serve", "--model", "x", "--task", "text-classification", "--host", "0.0.0.0"],
                      env={"HFLAB_SERVE_API_KEY": ""})
    assert r.exit_code == 1 and "--api-key-file" in r.output and "HFLAB_SERVE_API_KEY" in r.output


# --- errors end as a Korean message, the traceback only with --debug (issue 27) --------------------------
import os
import re
import socket
import subprocess
import sys

import pytest

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _hflab(*args, env=None, timeout=60):
    """The real console entry (`python -m hflab.cli` runs hflab.cli.main) in a fresh process, as a learner types it."""
    inherited = {k: v for k, v in os.environ.items() if k != "HFLAB_DEBUG"}  # debug only where a test asks for it
    full_env = {**inherited, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "hflab.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env)


def _assert_korean_without_traceback(r):
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "Traceback" not in out, out
    assert HANGUL.search(r.stderr) and "❌" in r.stderr, out
    assert len(out.strip().splitlines()) <= 6, out  # a message and its fix, not a wall
    assert "예상하지 못한" not in r.stderr and "→ 해결:" in r.stderr, out  # a known case: its own message and fix


def test_hub_on_a_port_out_of_range_says_so_in_korean():
    _assert_korean_without_traceback(_hflab("hub", "--port", "99999"))


def test_hub_on_a_port_in_use_says_so_in_korean(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        r = _hflab("hub", "--root", str(tmp_path / "hub"), "--port", str(port))
    _assert_korean_without_traceback(r)
    assert str(port) in r.stderr or "포트" in r.stderr


def test_hub_with_a_root_that_cannot_be_a_folder_says_so_in_korean(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    _assert_korean_without_traceback(_hflab("hub", "--root", str(blocker / "hub"), "--port", "0"))


def test_serve_on_a_folder_that_is_no_model_says_so_in_korean(tmp_path):
    (tmp_path / "notes.txt").write_text("no config.json here")
    r = _hflab("serve", "--model", str(tmp_path), "--task", "text-classification", "--port", "0")
    _assert_korean_without_traceback(r)


@pytest.mark.parametrize("how", [("--debug",), ()])
def test_debug_shows_the_traceback_after_the_korean_message(how):
    env = {} if how else {"HFLAB_DEBUG": "1"}
    r = _hflab(*how, "hub", "--port", "99999", env=env)
    assert r.returncode == 1
    assert "Traceback" in r.stderr and HANGUL.search(r.stderr), r.stderr


def test_an_unexpected_error_names_debug_and_masks_tokens():
    from hflab.cli import explain

    canary = "hf_" + "Canary" * 5
    text = explain(RuntimeError(f"boom with {canary}"))
    assert "--debug" in text and "RuntimeError" in text and canary not in text and HANGUL.search(text)
    assert "해결" in explain(OSError(98, "Address already in use"))
