"""Classroom keys of `hflab serve`: from HFLAB_SERVE_API_KEY or a key file (mode checked), never from the
command line, compared in constant time. A real `hflab serve` process runs with a key and `ps` (its
/proc/<pid>/cmdline) shows none. All traffic goes to 127.0.0.1.
"""
import os
import re
import signal
import subprocess
import sys
import time

import httpx
import openai
import pytest
from typer.testing import CliRunner

from hflab import serve
from hflab.cli import app
from hflab.serve import API_KEY_ENV, ServeError, load_api_keys

EMBED = "sentence-transformers/all-MiniLM-L6-v2"
runner = CliRunner()


def key_file(folder, text: str, mode: int = 0o600):
    path = folder / "classroom.key"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_keys_come_from_the_environment_and_a_private_file(tmp_path):
    assert load_api_keys(env={}) is None
    assert load_api_keys(env={API_KEY_ENV: "  env-key-0123456789  \n"}) == {"env-key-0123456789": "granted"}
    path = key_file(tmp_path, "# 교실 키\nfile-key-aaaaaaaaaaaa\n\nfile-key-bbbbbbbbbbbb\n")
    assert load_api_keys(path, env={API_KEY_ENV: "env-key-0123456789"}) == {
        "file-key-aaaaaaaaaaaa": "granted", "file-key-bbbbbbbbbbbb": "granted", "env-key-0123456789": "granted"}


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_file_others_can_read_is_refused_in_korean(tmp_path, mode):
    path = key_file(tmp_path, "file-key-aaaaaaaaaaaa\n", mode)
    with pytest.raises(ServeError, match="chmod 600") as e:
        load_api_keys(path, env={})
    assert "다른 사용자" in str(e.value) and "file-key" not in str(e.value)


def test_missing_empty_and_weak_keys_are_refused(tmp_path):
    with pytest.raises(ServeError, match="없습니다"):
        load_api_keys(tmp_path / "nowhere.key", env={})
    with pytest.raises(ServeError, match="키가 없습니다"):
        load_api_keys(key_file(tmp_path, "# only a comment\n\n"), env={})
    for weak in ("short", "has a space inside", "한글키한글키한글키한글키"):
        with pytest.raises(ServeError, match="token_urlsafe") as e:
            load_api_keys(env={API_KEY_ENV: weak})
        assert weak not in str(e.value)  # the message never repeats a key


def test_keys_are_compared_in_constant_time_against_every_key(monkeypatch):
    calls = []
    real = serve.hmac.compare_digest

    def spy(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(serve.hmac, "compare_digest", spy)
    keys = {"first-key-000000": "granted", "second-key-11111": "pending", "third-key-222222": "granted"}
    assert serve._lookup_key(keys, "first-key-000000") == "granted"
    assert len(calls) == 3  # no early exit once the first key matched
    assert serve._lookup_key(keys, "second-key-11111") == "pending"
    assert serve._lookup_key(keys, "first-key-00000") is None and serve._lookup_key(keys, "") is None
    assert serve._lookup_key({"키-유니코드-키": "granted"}, "키-유니코드-키") == "granted"  # Python keys may be any text


def test_the_cli_refuses_keys_on_the_command_line_and_readable_key_files(tmp_path):
    r = runner.invoke(app, ["serve", "--model", "x", "--task", "text-classification", "--api-key", "seen-by-ps-12345"])
    assert r.exit_code == 1 and "--api-key-file" in r.output and API_KEY_ENV in r.output and "ps" in r.output
    assert "seen-by-ps" not in r.output
    path = key_file(tmp_path, "file-key-aaaaaaaaaaaa\n", 0o644)
    r = runner.invoke(app, ["serve", "--model", "x", "--task", "text-classification", "--api-key-file", str(path)])
    assert r.exit_code == 1 and "chmod 600" in r.output
    r = runner.invoke(app, ["serve", "--model", "x", "--task", "text-classification", "--host", "0.0.0.0"],
                      env={API_KEY_ENV: ""})
    assert r.exit_code == 1 and "--api-key-file" in r.output and "umask 077" in r.output
    assert "--api-key " not in runner.invoke(app, ["serve", "--help"]).output  # the old option is hidden


def _wait_for_url(proc, deadline: float) -> tuple[str, str]:
    """The server's URL and its whole banner (read up to its last line, "멈추려면 Ctrl+C")."""
    lines, url = [], None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        lines.append(line)
        m = re.search(r"로컬 엔드포인트: (http://127\.0\.0\.1:\d+)", line)
        if m:
            url = m.group(1)
        if url and "Ctrl+C" in line:
            return url, "".join(lines)
    raise AssertionError("hflab serve did not start: " + "".join(lines)[-2000:])


@pytest.mark.timeout(180)
def test_a_keyed_hflab_serve_process_shows_no_key_in_its_command_line(tmp_path, canary):
    file_key = "file-key-" + os.urandom(9).hex()
    env_key = "env-key-" + os.urandom(9).hex()
    path = key_file(tmp_path, file_key + "\n")
    env = {**os.environ, API_KEY_ENV: env_key, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "hflab.cli", "serve", "--model", EMBED, "--task", "feature-extraction",
           "--port", "0", "--api-key-file", str(path)]
    # Ctrl+C reaches a server started from a terminal; a test run launched in the background (`make test &`,
    # nohup) passes SIGINT on as ignored, and Python then never raises KeyboardInterrupt: restore the default
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        url, banner = _wait_for_url(proc, time.monotonic() + 150)
        with open(f"/proc/{proc.pid}/cmdline", "rb") as f:  # what `ps -ef` shows every user of the machine
            cmdline = f.read().decode("utf-8", "replace")
        assert "serve" in cmdline and str(path) in cmdline
        assert file_key not in cmdline and env_key not in cmdline
        assert httpx.post(url, json={"inputs": "hello"}).status_code == 401  # no key
        refused = httpx.post(url, json={"inputs": "hello"}, headers={"Authorization": f"Bearer {canary}"})
        assert refused.status_code == 401 and "Hugging Face Hub 토큰" in refused.json()["error"]  # a Hub token
        assert canary not in refused.text
        for key in (file_key, env_key):
            r = httpx.post(url, json={"inputs": "hello"}, headers={"Authorization": f"Bearer {key}"}, timeout=60)
            assert r.status_code == 200 and len(r.json()) == 384
        models = openai.OpenAI(base_url=url + "/v1", api_key=file_key, max_retries=0).models.list()
        assert models.data[0].id == EMBED
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl+C
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert proc.returncode == 0 and "멈췄습니다" in out, out[-1000:]
    assert file_key not in out and env_key not in out  # the server never prints a key
    assert canary not in banner + out  # nor the Hub token it refused
    assert "접속 키가 필요합니다" in banner and "api_key=KEY" in banner  # the banner says so, and how to pass one
    assert file_key not in banner and env_key not in banner
