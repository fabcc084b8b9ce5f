"""Lesson 12 in a real browser: the Space the notebook wrote is complete, its app.py launches on
127.0.0.1, and headless Chromium (Debian's /usr/bin/chromium driven by Playwright) types a Korean
review, clicks the button and reads the predicted label, which must equal the pipeline's prediction.
A screenshot goes to build/screenshots/12_gradio.png.

The module runs the lesson notebook once offline (like tests/test_hub_token_lesson.py) so that
build/space is the folder this notebook run wrote, then checks it against the course pins and against
what the notebook pushed to the practice hub.

Needs Debian's chromium (`apt-get install -y chromium`, the Makefile's `browser` target). Never
`playwright install`: it downloads a browser. Korean text is rendered with the NanumGothic font that
ships in koreanize-matplotlib (a fontconfig file for the browser process), so no system font is needed.
"""
from __future__ import annotations

import os
import runpy
from pathlib import Path

import nbformat
import pytest

from hflab import course, models, spaces
from hflab.runner import run_notebook

ROOT = Path(__file__).resolve().parent.parent
NB = ROOT / "notebooks" / "12_spaces_gradio.ipynb"
CHROMIUM = os.environ.get("HFLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: a Korean review that is not one of the app's examples
KO_REVIEW = "포장이 꼼꼼하고 배송도 하루 만에 와서 정말 만족스러워요."
SCREENSHOT = course.build_dir() / "screenshots" / "12_gradio.png"

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def executed(build_dir, canary):
    out = build_dir / "12_spaces_gradio.browser.ipynb"
    r = run_notebook(NB, out)
    assert r.ok, f"12_spaces_gradio 실행 실패: {r.error}"
    assert canary not in out.read_text(encoding="utf-8")
    return nbformat.read(out, as_version=4)


@pytest.fixture(scope="module")
def space_dir(executed) -> Path:
    d = course.build_dir() / "space"
    assert d.is_dir(), "노트북이 build/space 를 쓰지 않았습니다"
    return d


def test_space_folder_is_complete_and_pinned(space_dir):
    import gradio

    pins = spaces.course_pins()
    assert {p.name for p in space_dir.iterdir()} >= set(spaces.REQUIRED_FILES)
    meta = spaces.parse_front_matter((space_dir / "README.md").read_text(encoding="utf-8"))
    for key in spaces.REQUIRED_YAML_KEYS + ("models",):
        assert key in meta, f"README YAML 에 {key} 가 없습니다"
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    assert str(meta["sdk_version"]) == pins["gradio"] == gradio.__version__
    assert meta["colorFrom"] in spaces.SPACE_COLORS and meta["colorTo"] in spaces.SPACE_COLORS
    assert meta["models"] == ["student/hflab-12-review-classifier"]

    reqs = spaces.requirement_pins((space_dir / "requirements.txt").read_text(encoding="utf-8"))
    assert reqs and not any(k.startswith("!") for k in reqs), f"고정되지 않은 줄: {reqs}"
    assert {"transformers", "torch"} <= set(reqs) and "gradio" not in reqs
    assert all(pins[name] == version for name, version in reqs.items()), (reqs, pins)
    # the pins are the course's: the same as pyproject.toml / the installed venv (tests/test_pins.py)
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert f"torch=={reqs['torch']}" == project["tool"]["hflab"]["torch"]
    assert f"transformers=={reqs['transformers']}" in project["project"]["dependencies"]

    app_src = (space_dir / "app.py").read_text(encoding="utf-8")
    assert 'os.environ.get("MODEL_ID", \'student/hflab-12-review-classifier\')' in app_src
    assert spaces.space_problems(space_dir) == []


def test_the_pushed_space_is_the_folder(space_dir):
    """The practice hub kept the repos the notebook pushed: the Space there has the same bytes."""
    from huggingface_hub import HfApi

    from hflab.practice_hub import PracticeHub

    hub = PracticeHub(course.build_dir() / "12_spaces_gradio" / "practice_hub").start()   # not fresh: keep the repos
    try:
        api = HfApi(endpoint=hub.endpoint, token=hub.read_token)
        with hub.activated():
            files = set(api.list_repo_files("student/hflab-12-review-demo", repo_type="space"))
            assert files >= set(spaces.REQUIRED_FILES)
            for name in spaces.REQUIRED_FILES:
                path = api.hf_hub_download("student/hflab-12-review-demo", name, repo_type="space")
                assert Path(path).read_bytes() == (space_dir / name).read_bytes(), name
            assert "model.safetensors" in api.list_repo_files("student/hflab-12-review-classifier")
    finally:
        hub.stop()


def _fontconfig(tmp: Path) -> Path:
    """A fontconfig file: the system fonts plus NanumGothic from koreanize-matplotlib (Hangul glyphs)."""
    import koreanize_matplotlib

    fonts = Path(koreanize_matplotlib.__file__).parent / "fonts"
    assert any(fonts.glob("NanumGothic*.ttf")), "koreanize-matplotlib 의 NanumGothic 글꼴이 없습니다"
    conf = tmp / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <dir>{fonts}</dir>\n  <cachedir>{tmp / 'fc-cache'}</cachedir>\n</fontconfig>\n",
        encoding="utf-8")
    return conf


def test_browser_types_a_korean_review_and_reads_the_pipeline_label(space_dir, tmp_path, monkeypatch):
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium 이 없습니다 ({CHROMIUM}). 설치: apt-get install -y chromium  (Makefile 의 browser 대상). "
                    "`playwright install` 은 쓰지 않습니다 (브라우저를 내려받음).")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("MODEL_ID", str(models.ensure_review_classifier(quiet=True)))   # like a Space variable
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    app = runpy.run_path(str(space_dir / "app.py"), run_name="space_app")   # import, not __main__: no launch yet
    demo, classifier = app["demo"], app["classifier"]
    expected = classifier(KO_REVIEW, top_k=None)

    requests: list[str] = []
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    with spaces.watch_connections() as net:
        demo.launch(server_name="127.0.0.1", share=False, prevent_thread_lock=True, quiet=True)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch_persistent_context(
                    str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                    env={**os.environ, "FONTCONFIG_FILE": str(_fontconfig(tmp_path))},
                    viewport={"width": 1100, "height": 560}, locale="ko-KR")
                try:
                    page = browser.new_page()
                    page.on("request", lambda r: requests.append(r.url))
                    page.goto(demo.local_url)
                    page.locator("#review textarea").fill(KO_REVIEW)
                    page.locator("#submit").click()
                    shown = page.locator('#prediction [data-testid="label-output-value"]')
                    shown.wait_for(state="visible", timeout=60_000)
                    page_label = shown.inner_text().strip()
                    page_percents = page.locator("#prediction dd.confidence").all_inner_texts()
                    page.screenshot(path=str(SCREENSHOT), full_page=True)
                finally:
                    browser.close()
        finally:
            demo.close()

    assert page_label == expected[0]["label"], f"화면의 라벨 {page_label!r} != 파이프라인 {expected[0]['label']!r}"
    assert page_percents[0] == f"{round(100 * expected[0]['score'])}%", (page_percents, expected)
    assert SCREENSHOT.is_file() and SCREENSHOT.stat().st_size > 10_000
    # nothing left this machine: the Python process (gradio, gradio_client, huggingface_hub) and the page
    assert net.outside == [], f"인터넷 연결 시도: {net.outside}"
    outside_pages = sorted({u for u in requests if not u.startswith(("http://127.0.0.1", "data:", "blob:"))})
    assert not outside_pages, f"브라우저가 바깥 주소를 요청했습니다: {outside_pages}"
