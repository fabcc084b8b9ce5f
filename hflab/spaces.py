"""Hugging Face Spaces and Gradio, the plumbing around lesson 12.

What lives here (and what does not): the lesson's own Gradio code (``gr.Interface``, ``gr.Blocks``,
``gr.ChatInterface``, ``launch``, ``gradio_client``) and the Hub calls (``create_repo``,
``upload_folder(repo_type="space")``) stay visible in the notebook. This module holds what a notebook
would otherwise hide the lesson under, and what the tests need:

* :data:`HARDWARE`: the Space hardware tiers (flavor id, vCPU, RAM, GPU memory) from the Hub
  documentation, and :func:`fits` / :func:`smallest_fit`, the memory arithmetic of "what fits where"
  (weights = parameters x bytes per parameter, :mod:`hflab.memory`). No prices: they change, see
  :data:`PRICING_URL`.
* :func:`course_pins`: the course's pinned versions (``hflab.env.pins()`` + the torch this notebook
  runs with), for a Space's ``requirements.txt``.
* :func:`space_problems`: what a Space folder lacks (files, README YAML keys, pins), in Korean.
* :func:`label_scores`: a ``text-classification`` pipeline output as the ``{label: score}`` dict
  ``gr.Label`` shows.
* :func:`chat_messages`: a ``gr.ChatInterface`` history (Gradio 6: content is a list of parts) as the
  ``messages`` a chat template takes.
* :func:`watch_connections`: which hosts this Python process tried to reach (an audit hook), to show
  that a local demo talks to 127.0.0.1 only.

Used in: 12_spaces_gradio, tests/test_spaces.py, tests/test_gradio_browser.py.
"""
from __future__ import annotations

import contextlib
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .errors import HflabError

#: where the hardware specs below come from (check it: tiers are added over time)
HARDWARE_DOCS_URL = "https://huggingface.co/docs/hub/spaces-gpus"
#: prices change; the course never prints one
PRICING_URL = "https://huggingface.co/pricing"
#: colours the Spaces YAML header accepts for colorFrom / colorTo
SPACE_COLORS = ("red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray")
#: YAML keys every course Space README has
REQUIRED_YAML_KEYS = ("title", "emoji", "colorFrom", "colorTo", "sdk", "sdk_version", "app_file", "license")
#: files every course Space folder has
REQUIRED_FILES = ("README.md", "app.py", "requirements.txt")
#: share of a tier's memory the weights may take (the rest: activations, Python, the web server)
HEADROOM = 0.8


class SpaceError(HflabError):
    """Bad input to a Spaces helper."""


@dataclass(frozen=True)
class Hardware:
    """One Space hardware tier: ``flavor`` is the id ``huggingface_hub.SpaceHardware`` uses."""

    flavor: str
    name: str
    vcpu: int
    ram_gb: float
    gpu: str | None = None
    gpu_gb: float | None = None
    free: bool = False

    @property
    def has_gpu(self) -> bool:
        return self.gpu_gb is not None

    @property
    def memory_gb(self) -> float:
        """Where the weights live: GPU memory on a GPU tier, RAM on a CPU tier."""
        return float(self.gpu_gb if self.has_gpu else self.ram_gb)


#: Space hardware tiers, smallest first (specs from HARDWARE_DOCS_URL; no prices, see PRICING_URL).
HARDWARE: tuple[Hardware, ...] = (
    Hardware("cpu-basic", "CPU basic", vcpu=2, ram_gb=16, free=True),
    Hardware("cpu-upgrade", "CPU upgrade", vcpu=8, ram_gb=32),
    Hardware("t4-small", "Nvidia T4 small", vcpu=4, ram_gb=15, gpu="T4", gpu_gb=16),
    Hardware("t4-medium", "Nvidia T4 medium", vcpu=8, ram_gb=30, gpu="T4", gpu_gb=16),
    Hardware("a10g-small", "Nvidia A10G small", vcpu=4, ram_gb=15, gpu="A10G", gpu_gb=24),
    Hardware("a10g-large", "Nvidia A10G large", vcpu=12, ram_gb=46, gpu="A10G", gpu_gb=24),
    Hardware("a100-large", "Nvidia A100 large", vcpu=12, ram_gb=142, gpu="A100", gpu_gb=80),
)
_BY_FLAVOR = {h.flavor: h for h in HARDWARE}
_GPU_ONLY_DTYPES = {"int4", "4bit", "nf4", "int8", "8bit"}  # bitsandbytes quantization runs on CUDA


def hardware(flavor: str) -> Hardware:
    """The tier for a flavor id such as ``"t4-small"`` (Korean error for an unknown one).

    Used in: 12_spaces_gradio.
    """
    h = _BY_FLAVOR.get(str(flavor))
    if h is None:
        raise SpaceError(f"알 수 없는 Space 하드웨어입니다: {flavor!r}.",
                         fix=f"다음 중 하나를 쓰세요: {', '.join(_BY_FLAVOR)}")
    return h


def fits(hw, n_params: float, dtype, headroom: float = HEADROOM) -> bool:
    """True when the weights (``memory.weights_gb``) fit in ``headroom`` of the tier's memory.

    On a GPU tier the weights go to GPU memory, on a CPU tier to RAM. 8/4-bit (bitsandbytes)
    weights need a GPU tier. Used in: 12_spaces_gradio, exercise 12.3.
    """
    from . import memory

    hw = hardware(hw) if isinstance(hw, str) else hw
    need = memory.weights_gb(n_params, dtype)
    if not hw.has_gpu and str(dtype).replace("torch.", "").lower() in _GPU_ONLY_DTYPES:
        return False
    return need <= hw.memory_gb * headroom


def smallest_fit(n_params: float, dtype, gpu: bool = False, headroom: float = HEADROOM) -> Hardware | None:
    """The first tier of :data:`HARDWARE` (smallest first) of the wanted kind that fits, or None.

    ``gpu=False`` looks at the CPU tiers, ``gpu=True`` at the GPU tiers. Used in: 12_spaces_gradio,
    exercise 12.3.
    """
    for hw in HARDWARE:
        if hw.has_gpu == bool(gpu) and fits(hw, n_params, dtype, headroom):
            return hw
    return None


# --------------------------------------------------------------------------------------------------
# pins and the Space folder
# --------------------------------------------------------------------------------------------------
def _torch_pin() -> str | None:
    pp = Path(__file__).resolve().parent.parent / "pyproject.toml"
    if pp.is_file():
        import tomllib

        spec = tomllib.loads(pp.read_text(encoding="utf-8")).get("tool", {}).get("hflab", {}).get("torch", "")
        if "==" in spec:
            return spec.split("==", 1)[1].strip()
    from . import env

    have = env.installed("torch")
    return have.split("+", 1)[0] if have else None


def course_pins() -> dict[str, str]:
    """The course's pinned versions (``hflab.env.pins()``, normalised names) plus ``torch``.

    torch is not an hflab dependency (Colab keeps its own CUDA build): its pin is the course's
    ``[tool.hflab] torch`` in a checkout, else the torch installed here (what the notebook ran with).
    Used in: 12_spaces_gradio (requirements.txt), :func:`space_problems`.
    """
    from . import env

    pins = dict(env.pins())
    torch = _torch_pin()
    if torch:
        pins["torch"] = torch
    return pins


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_front_matter(text: str) -> dict:
    """The YAML header between the first two ``---`` lines of a README (Korean error if missing/bad).

    Used in: :func:`space_problems`, exercise 12.1.
    """
    import yaml

    if not isinstance(text, str):
        raise SpaceError(f"README 내용은 문자열이어야 합니다 (지금 {type(text).__name__}).",
                         fix="Path('README.md').read_text() 처럼 글자로 읽어서 넘기세요.")
    m = re.match(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(\r?\n|\Z)", text, flags=re.S)
    if not m:
        raise SpaceError("README.md 맨 첫 줄이 '---' 로 시작하는 YAML 머리말이 없습니다.",
                         fix="파일 맨 위에 '---', YAML 줄들, '---' 순서로 쓰세요 (앞에 빈 줄이나 제목이 오면 안 됩니다).")
    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError as e:
        raise SpaceError(f"YAML 머리말을 읽을 수 없습니다: {str(e).splitlines()[0]}",
                         fix="'키: 값' 형식과 들여쓰기를 확인하세요.") from None
    if not isinstance(data, dict):
        raise SpaceError("YAML 머리말이 '키: 값' 모음(딕셔너리)이 아닙니다.", fix="예: sdk: gradio")
    return data


def requirement_pins(text: str) -> dict[str, str]:
    """``{normalised name: version}`` of the ``name==version`` lines of a requirements.txt.

    Lines that are not exact pins are returned under the key ``"!name"`` with the raw line.
    Used in: :func:`space_problems`.
    """
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        m = re.match(r"^([A-Za-z0-9_.\-]+)\s*==\s*([^\s;]+)$", line)
        if m:
            out[_norm(m.group(1))] = m.group(2)
        else:
            name = re.match(r"^[A-Za-z0-9_.\-]+", line)
            out["!" + _norm(name.group(0) if name else line)] = raw
    return out


def space_problems(folder, pins: dict[str, str] | None = None) -> list[str]:
    """What a Gradio Space folder lacks, as Korean sentences (empty list = complete).

    Checks: README.md, app.py, requirements.txt exist; the README YAML header has
    :data:`REQUIRED_YAML_KEYS`, ``sdk: gradio``, ``sdk_version`` = the pinned gradio, an
    ``app_file`` that exists, colours Spaces accepts; every requirement is ``name==version`` with the
    course's version (:func:`course_pins`); app.py builds ``demo`` and launches it only under
    ``if __name__ == "__main__"``. Used in: 12_spaces_gradio, tests/test_gradio_browser.py.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return [f"Space 폴더 '{folder}' 가 없습니다."]
    pins = course_pins() if pins is None else {_norm(k): v for k, v in pins.items()}
    problems = [f"{name} 파일이 없습니다." for name in REQUIRED_FILES if not (folder / name).is_file()]
    if (folder / "README.md").is_file():
        try:
            meta = parse_front_matter((folder / "README.md").read_text(encoding="utf-8"))
        except SpaceError as e:
            problems.append(str(e))
            meta = None
        if meta is not None:
            problems += [f"README YAML에 '{k}' 키가 없습니다." for k in REQUIRED_YAML_KEYS if k not in meta]
            if meta.get("sdk", "gradio") != "gradio":
                problems.append(f"sdk 가 'gradio' 가 아닙니다 (지금 {meta.get('sdk')!r}).")
            want = pins.get("gradio")
            if "sdk_version" in meta and str(meta["sdk_version"]) != str(want):
                problems.append(f"sdk_version 이 고정된 gradio 버전 {want} 과 다릅니다 (지금 {meta['sdk_version']!r}).")
            app_file = meta.get("app_file")
            if app_file and not (folder / str(app_file)).is_file():
                problems.append(f"app_file '{app_file}' 이 폴더에 없습니다.")
            for key in ("colorFrom", "colorTo"):
                if key in meta and meta[key] not in SPACE_COLORS:
                    problems.append(f"{key} 는 {', '.join(SPACE_COLORS)} 중 하나여야 합니다 (지금 {meta[key]!r}).")
    if (folder / "requirements.txt").is_file():
        reqs = requirement_pins((folder / "requirements.txt").read_text(encoding="utf-8"))
        if not reqs:
            problems.append("requirements.txt 가 비어 있습니다.")
        for name, version in reqs.items():
            if name.startswith("!"):
                problems.append(f"requirements.txt 의 '{version.strip()}' 은 '이름==버전' 으로 고정되지 않았습니다.")
            elif name == "gradio":
                problems.append("gradio 는 requirements.txt 가 아니라 README 의 sdk_version 으로 정합니다.")
            elif name not in pins:
                problems.append(f"requirements.txt 의 {name} 은 과정의 고정 버전 목록에 없습니다.")
            elif pins[name] != version:
                problems.append(f"requirements.txt 의 {name}=={version} 이 과정의 고정 버전 {pins[name]} 과 다릅니다.")
    if (folder / "app.py").is_file():
        src = (folder / "app.py").read_text(encoding="utf-8")
        try:
            compile(src, "app.py", "exec")
        except SyntaxError as e:
            problems.append(f"app.py 에 문법 오류가 있습니다 ({e.msg}, {e.lineno}번째 줄).")
        if not re.search(r"^demo\s*=|as\s+demo\s*:", src, flags=re.M):
            problems.append("app.py 에 'demo' (gr.Blocks / gr.Interface) 가 없습니다.")
        if not re.search(r'^if __name__ == ["\']__main__["\']:\s*\n\s+demo\.launch\(', src, flags=re.M):
            problems.append("app.py 는 'if __name__ == \"__main__\":' 아래에서 demo.launch() 를 불러야 합니다.")
    return problems


# --------------------------------------------------------------------------------------------------
# Gradio data shapes
# --------------------------------------------------------------------------------------------------
def label_scores(pipeline_output) -> dict[str, float]:
    """``{label: score}`` from a text-classification pipeline output (what ``gr.Label`` shows).

    Accepts the output for one text called with ``top_k=None`` (a list of ``{"label", "score"}``
    dicts), a single dict, or a one-element batch of such a list. Used in: exercise 12.2, tests.
    """
    out = pipeline_output
    if isinstance(out, dict):
        out = [out]
    if isinstance(out, (list, tuple)) and len(out) == 1 and isinstance(out[0], (list, tuple)):
        out = out[0]
    if not isinstance(out, (list, tuple)) or not all(isinstance(d, dict) and "label" in d and "score" in d
                                                     for d in out) or not out:
        raise SpaceError("파이프라인 출력은 {'label': ..., 'score': ...} 딕셔너리의 리스트여야 합니다.",
                         fix="classifier(text, top_k=None) 의 결과를 그대로 넘기세요.")
    return {str(d["label"]): float(d["score"]) for d in out}


def _content_text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text", "")) if content.get("type", "text") == "text" else ""
    if isinstance(content, (list, tuple)):
        return "".join(_content_text(c) for c in content)
    return ""


def chat_messages(message: str, history, system_prompt: str | None = None) -> list[dict]:
    """``[{"role", "content": str}, ...]`` for ``apply_chat_template`` from a ChatInterface call.

    Gradio 6 passes ``history`` as ``{"role", "content"}`` dicts whose content is a list of parts
    (``{"type": "text", "text": ...}``); chat templates such as SmolLM2's want one string. Non-text
    parts (files) are dropped. Used in: exercise 12.4, tests.
    """
    msgs = [{"role": "system", "content": system_prompt}] if system_prompt else []
    for m in history or []:
        if not isinstance(m, dict) or m.get("role") not in ("user", "assistant", "system"):
            raise SpaceError("history 의 각 항목은 {'role': 'user'|'assistant', 'content': ...} 딕셔너리여야 합니다.",
                             fix="gr.ChatInterface 가 넘겨 준 history 를 그대로 쓰세요.")
        msgs.append({"role": m["role"], "content": _content_text(m.get("content"))})
    msgs.append({"role": "user", "content": _content_text(message)})
    return msgs


# --------------------------------------------------------------------------------------------------
# who did this process talk to?
# --------------------------------------------------------------------------------------------------
_LOOPBACK = re.compile(r"^(127\.\d+\.\d+\.\d+|::1|localhost|0\.0\.0\.0|::)$")


@dataclass
class ConnectionLog:
    """Hosts this process looked up or connected to while the watch was on."""

    hosts: list[str] = field(default_factory=list)

    @property
    def outside(self) -> list[str]:
        """The hosts that are not this machine (127.0.0.1 / localhost / ::1), sorted, once each."""
        return sorted({h for h in self.hosts if not _LOOPBACK.match(h)})

    @property
    def local(self) -> list[str]:
        return sorted({h for h in self.hosts if _LOOPBACK.match(h)})


_watchers: list[ConnectionLog] = []
_hook_lock = threading.Lock()
_hook_installed = False


def _host_of(event: str, args) -> str | None:
    try:
        if event == "socket.getaddrinfo":
            host = args[0]
        elif event == "socket.connect":
            addr = args[1]
            if not isinstance(addr, tuple):  # AF_UNIX path
                return None
            host = addr[0]
        else:
            return None
    except (IndexError, TypeError):
        return None
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return None if host is None else str(host)


def _audit(event: str, args) -> None:
    if not _watchers or event not in ("socket.getaddrinfo", "socket.connect"):
        return
    host = _host_of(event, args)
    if host is not None:
        for w in list(_watchers):
            w.hosts.append(host)


@contextlib.contextmanager
def watch_connections():
    """Record every host this Python process resolves or connects to inside the ``with`` block.

    A ``sys.addaudithook`` hook (``socket.getaddrinfo`` / ``socket.connect`` events, every thread):
    it sees what gradio, gradio_client and huggingface_hub do in this process, not other processes
    (a browser). Yields a :class:`ConnectionLog`; ``log.outside`` lists the non-local hosts.

    Used in: 12_spaces_gradio (the local demo reaches 127.0.0.1 only), tests/test_gradio_browser.py.
    """
    global _hook_installed
    with _hook_lock:
        if not _hook_installed:
            sys.addaudithook(_audit)
            _hook_installed = True
    log = ConnectionLog()
    _watchers.append(log)
    try:
        yield log
    finally:
        _watchers.remove(log)
