"""hflab.spaces: hardware arithmetic, course pins, the Space folder check, Gradio data shapes, the
connection watch; and the static shape of lesson 12 (fast: no model, no server)."""
from __future__ import annotations

import ast
import re
import socket
import sys
from pathlib import Path

import nbformat
import pytest

from hflab import catalog, env, memory, spaces
from hflab.runner import offline_parameters

NB = Path(__file__).resolve().parent.parent / "notebooks" / "12_spaces_gradio.ipynb"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


# ------------------------------------------------------------------------------------------- hardware
def test_hardware_flavors_are_the_hub_ids_and_smallest_first():
    from huggingface_hub import SpaceHardware

    ids = {h.value for h in SpaceHardware}
    assert all(h.flavor in ids for h in spaces.HARDWARE)
    cpu = [h for h in spaces.HARDWARE if not h.has_gpu]
    gpu = [h for h in spaces.HARDWARE if h.has_gpu]
    assert cpu[0].flavor == "cpu-basic" and cpu[0].free
    assert [h.memory_gb for h in cpu] == sorted(h.memory_gb for h in cpu)
    assert [h.memory_gb for h in gpu] == sorted(h.memory_gb for h in gpu)


def test_fits_uses_weights_times_bytes_and_the_headroom():
    t4 = spaces.hardware("t4-small")
    n = 8.03e9
    assert memory.weights_gb(n, "float16") > t4.gpu_gb * spaces.HEADROOM
    assert not spaces.fits(t4, n, "float16") and spaces.fits("t4-small", n, "4bit")
    assert spaces.smallest_fit(n, "float16", gpu=True).flavor == "a10g-small"
    assert spaces.smallest_fit(22.7e6, "float32").flavor == "cpu-basic"
    assert spaces.smallest_fit(n, "float32", gpu=False) is None          # 32 GB > 0.8 x 32 GB
    assert not spaces.fits("cpu-upgrade", 1e6, "4bit"), "bitsandbytes 4-bit needs a GPU tier"
    # the lesson's catalog models, as the notebook computes them
    assert spaces.smallest_fit(catalog.entry("HuggingFaceTB/SmolLM2-135M-Instruct").params_m * 1e6, "float32").flavor \
        == "cpu-basic"


def test_unknown_flavor_and_bad_dtype_get_korean_messages():
    with pytest.raises(spaces.SpaceError, match="알 수 없는 Space 하드웨어") as e:
        spaces.hardware("h100-mega")
    assert "cpu-basic" in str(e.value)
    with pytest.raises(memory.HflabError, match="dtype"):
        spaces.fits("cpu-basic", 1e6, "float8")


# ------------------------------------------------------------------------------------------- pins
def test_course_pins_have_gradio_and_torch():
    pins = spaces.course_pins()
    assert pins["gradio"] == env.installed("gradio") == env.pins()["gradio"]
    assert pins["gradio-client"] == env.installed("gradio_client")
    assert pins["torch"] == env.installed("torch").split("+")[0]


# ------------------------------------------------------------------------------------------- the folder
def _good_space(tmp: Path, **yaml_overrides) -> Path:
    pins = spaces.course_pins()
    meta = {"title": "t", "emoji": "🛍️", "colorFrom": "blue", "colorTo": "green", "sdk": "gradio",
            "sdk_version": pins["gradio"], "app_file": "app.py", "license": "apache-2.0"}
    meta.update(yaml_overrides)
    head = "\n".join(f"{k}: {v!r}" if isinstance(v, str) else f"{k}: {v}" for k, v in meta.items() if v is not None)
    (tmp / "README.md").write_text(f"---\n{head}\n---\n\n# t\n", encoding="utf-8")
    (tmp / "requirements.txt").write_text(f"transformers=={pins['transformers']}\ntorch=={pins['torch']}\n")
    (tmp / "app.py").write_text("import gradio as gr\nwith gr.Blocks() as demo:\n    pass\n\n"
                                "if __name__ == \"__main__\":\n    demo.launch()\n")
    return tmp


def test_space_problems_accepts_a_complete_folder(tmp_path):
    assert spaces.space_problems(_good_space(tmp_path)) == []


@pytest.mark.parametrize("change, needle", [
    (lambda d: (d / "app.py").unlink(), "app.py 파일이 없습니다"),
    (lambda d: (d / "requirements.txt").write_text("transformers\n"), "고정되지 않았습니다"),
    (lambda d: (d / "requirements.txt").write_text("transformers==4.0.0\n"), "고정 버전"),
    (lambda d: (d / "requirements.txt").write_text("gradio==6.0.0\n"), "sdk_version 으로"),
    (lambda d: (d / "README.md").write_text("# no header\n"), "YAML 머리말이 없습니다"),
    (lambda d: (d / "app.py").write_text("import gradio as gr\ndemo = gr.Blocks()\ndemo.launch()\n"), "__main__"),
    (lambda d: (d / "app.py").write_text("def f(:\n"), "문법 오류"),
])
def test_space_problems_names_what_is_wrong_in_korean(tmp_path, change, needle):
    d = _good_space(tmp_path)
    change(d)
    problems = spaces.space_problems(d)
    assert any(needle in p for p in problems), problems
    assert all(HANGUL.search(p) for p in problems)


@pytest.mark.parametrize("override, needle", [
    ({"sdk_version": "4.44.0"}, "sdk_version"), ({"sdk": "streamlit"}, "sdk"), ({"colorFrom": "orange"}, "colorFrom"),
    ({"app_file": "main.py"}, "main.py"), ({"license": None}, "license"),
])
def test_space_problems_checks_the_yaml_header(tmp_path, override, needle):
    problems = spaces.space_problems(_good_space(tmp_path, **override))
    assert any(needle in p for p in problems), problems


def test_front_matter_and_requirement_parsing():
    assert spaces.parse_front_matter("---\nsdk: gradio\nsdk_version: '6.31.0'\n---\n# x")["sdk_version"] == "6.31.0"
    with pytest.raises(spaces.SpaceError, match="YAML"):
        spaces.parse_front_matter("---\nsdk: [unclosed\n---\n")
    with pytest.raises(spaces.SpaceError, match="문자열"):
        spaces.parse_front_matter(None)
    got = spaces.requirement_pins("# comment\nTransformers==5.23.0\n\ntorch >= 2\n--extra-index-url x\n")
    assert got["transformers"] == "5.23.0" and "!torch" in got and len(got) == 2


# ------------------------------------------------------------------------------------------- data shapes
def test_label_scores_takes_every_pipeline_output_form():
    out = [{"label": "positive", "score": 0.75}, {"label": "negative", "score": 0.25}]
    assert spaces.label_scores(out) == {"positive": 0.75, "negative": 0.25}
    assert spaces.label_scores([out]) == spaces.label_scores(out)
    assert spaces.label_scores(out[0]) == {"positive": 0.75}
    with pytest.raises(spaces.SpaceError, match="top_k=None"):
        spaces.label_scores("positive")


def test_chat_messages_flattens_gradio6_history():
    history = [{"role": "user", "content": [{"type": "text", "text": "안녕"}]},
               {"role": "assistant", "content": [{"type": "text", "text": "Hi "}, {"type": "file", "file": {}},
                                                 {"type": "text", "text": "there"}]},
               {"role": "user", "content": "plain string still works"}]
    msgs = spaces.chat_messages("next", history, "sys")
    assert msgs == [{"role": "system", "content": "sys"}, {"role": "user", "content": "안녕"},
                    {"role": "assistant", "content": "Hi there"},
                    {"role": "user", "content": "plain string still works"}, {"role": "user", "content": "next"}]
    assert spaces.chat_messages("q", [])[0] == {"role": "user", "content": "q"}
    with pytest.raises(spaces.SpaceError, match="role"):
        spaces.chat_messages("q", [("user", "tuple format from Gradio 4")])


def test_chat_messages_go_through_the_mirror_chat_template():
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained("HuggingFaceTB/SmolLM2-135M-Instruct")
    history = [{"role": "user", "content": [{"type": "text", "text": "Hello"}]},
               {"role": "assistant", "content": [{"type": "text", "text": "Hi!"}]}]
    text = tok.apply_chat_template(spaces.chat_messages("Bye", history, "Be brief."), tokenize=False,
                                   add_generation_prompt=True)
    assert "Be brief." in text and "Hi!" in text and text.rstrip().endswith("assistant")


# ------------------------------------------------------------------------------------------- connections
def test_watch_connections_separates_local_and_outside_hosts():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    with spaces.watch_connections() as log:
        with socket.create_connection(srv.getsockname(), timeout=5):
            pass
        sys.audit("socket.getaddrinfo", "example.com", 443, 0, 0, 0)   # the event, without a real lookup
    srv.close()
    sys.audit("socket.getaddrinfo", "after.example", 443, 0, 0, 0)     # outside the block: not recorded
    assert "127.0.0.1" in log.local
    assert log.outside == ["example.com"]


# ------------------------------------------------------------------------------------------- the notebook (static)
def _params(nb) -> dict:
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    return {t.id: node.value.value for node in ast.parse(cell.source).body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(node.value, ast.Constant)}


def test_lesson12_defaults_are_colab_and_offline_stays_local():
    nb = nbformat.read(NB, as_version=4)
    p = _params(nb)
    assert p["SHARE"] is True and p["USE_PRACTICE_HUB"] is False and p["KEEP_APPS_RUNNING"] is True
    off = offline_parameters("12_spaces_gradio")
    assert off["SHARE"] is False and off["USE_PRACTICE_HUB"] is True and off["KEEP_APPS_RUNNING"] is False
    assert catalog.entry(off["CHAT_MODEL"]).mirror and catalog.entry(off["CLASSIFIER_BASE_MODEL"]).mirror
    src = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    # analytics off before gradio is imported, and every launch binds to 127.0.0.1
    assert src.index('os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"') < src.index("import gradio as gr")
    launches = re.findall(r"\.launch\(([^)]*)\)", src)
    local = [a for a in launches if a.strip()]
    assert local and all('server_name="127.0.0.1"' in a and "prevent_thread_lock=True" in a for a in local
                         if "enable_queue" not in a)
    assert 'repo_type="space"' in src and "upload_folder" in src
    assert not re.search(r"\$\s?\d|₩\s?\d|\d+\s?(달러|원)\b", src + "\n".join(c.source for c in nb.cells)), \
        "no prices in the lesson (they change): point at the pricing page"
