"""Checkers for lesson 12 (Spaces and Gradio): the Spaces README YAML header, the dict ``gr.Label``
shows, the hardware tier a model fits, and a ChatInterface history turned into chat-template messages.

Every checker recomputes its expectation from the same inputs the learner used: the pinned gradio
version from ``hflab.spaces.course_pins()``, the label dict from the given pipeline output, the tier
from the parameter count and dtype with ``hflab.memory`` (``hflab.spaces.smallest_fit``), the
messages from the given message and history.

Used in: 12_spaces_gradio.
"""
from __future__ import annotations

from . import Example, Hint, as_number, ensure, exercise

LESSON = "12_spaces_gradio"


# --------------------------------------------------------------------------------------------------
# 12.1 the Spaces README YAML header
# --------------------------------------------------------------------------------------------------
@exercise("12.1", "Space README의 YAML 머리말")
def check_space_readme(answer, app_file="app.py"):
    """Check a Space README text: a YAML header with title, emoji, colorFrom/colorTo (colours Spaces
    accept), ``sdk: gradio``, ``sdk_version`` = the course's pinned gradio, ``app_file`` = the given
    app file, a licence. Used in: 12_spaces_gradio."""
    from .. import spaces

    want = spaces.course_pins().get("gradio")
    if not isinstance(answer, str):
        raise Hint(f"답은 README.md 의 글자(str)예요. 지금은 {type(answer).__name__} 값이에요. "
                   "SpaceCard 를 만들었다면 str(card) 를 넘기세요.")
    text = answer.lstrip("\ufeff")
    if not text.startswith("---"):
        if "sdk:" in text:
            raise Hint("YAML 줄은 있는데 앞뒤의 '---' 줄이 없어요 (또는 그 앞에 다른 글자가 있어요). "
                       "README 맨 첫 줄이 '---' 이어야 Hub가 머리말로 읽어요.")
        raise Hint("README 맨 첫 줄이 '---' 로 시작하는 YAML 머리말이 없어요.")
    meta = spaces.parse_front_matter(text)
    missing = [k for k in spaces.REQUIRED_YAML_KEYS if k not in meta]
    if "sdk" in missing:
        raise Hint("sdk 키가 없어요. Gradio 앱이면 sdk: gradio 를 씁니다 (streamlit, docker, static 도 있어요).")
    ensure(meta["sdk"] == "gradio", f"이 Space는 Gradio 앱이에요. sdk 값을 확인하세요 (지금 {meta['sdk']!r}).")
    if "sdk_version" in missing:
        raise Hint("sdk_version 이 없어요. Space가 설치할 gradio 버전을, 이 노트북에서 시험한 버전으로 적으세요.")
    got = str(meta["sdk_version"])
    if got != str(want):
        if got.count(".") < 2:
            raise Hint(f"sdk_version 은 '주.부.수' 세 자리 전체를 문자열로 적어요 (지금 {got!r}). "
                       "YAML에서 숫자처럼 보이면 따옴표로 감싸세요.")
        raise Hint(f"sdk_version 이 과정이 고정한 gradio 버전과 달라요 (지금 {got}). "
                   "hflab.env.pins()['gradio'] 또는 gradio.__version__ 을 확인하세요.")
    if "app_file" in missing:
        raise Hint("app_file 이 없어요. Space가 실행할 파이썬 파일 이름을 적으세요.")
    ensure(meta["app_file"] == app_file,
           f"app_file 은 실제로 올릴 앱 파일 이름과 같아야 해요 (지금 {meta['app_file']!r}). 다르면 Space가 앱을 찾지 못해요.")
    for key in ("colorFrom", "colorTo"):
        if key in meta and meta[key] not in spaces.SPACE_COLORS:
            raise Hint(f"{key} 는 Spaces가 아는 색 이름이어야 해요: {', '.join(spaces.SPACE_COLORS)} (지금 {meta[key]!r}).")
    if missing:
        raise Hint(f"빠진 키가 있어요: {', '.join(missing)}. Space 카드 위쪽(제목, 아이콘, 색)과 라이선스에 쓰여요.")
    return f"sdk: gradio, sdk_version: {want}, app_file: {app_file}. Hub가 이 머리말을 읽고 gradio {want} 로 앱을 띄웁니다."


# --------------------------------------------------------------------------------------------------
# 12.2 pipeline output -> gr.Label dict
# --------------------------------------------------------------------------------------------------
@exercise("12.2", "파이프라인 출력을 gr.Label 딕셔너리로")
def check_label_dict(answer, pipeline_output):
    """Check ``{label: score}`` for every label of ``pipeline_output`` (a text-classification output
    with ``top_k=None``). Used in: 12_spaces_gradio."""
    from .. import spaces

    expected = spaces.label_scores(pipeline_output)
    if isinstance(answer, (list, tuple)):
        raise Hint("리스트가 아니라 딕셔너리예요: {라벨 이름: 점수, ...}. gr.Label 은 딕셔너리를 받아 막대로 그려요.")
    if isinstance(answer, str):
        raise Hint("라벨 이름 하나(str)만 돌려주면 gr.Label 은 점수 막대를 그릴 수 없어요. {라벨: 점수} 딕셔너리를 만드세요.")
    ensure(isinstance(answer, dict), f"답은 딕셔너리여야 해요. 지금은 {type(answer).__name__} 값이에요.")
    if set(answer) != set(expected):
        if set(map(str, answer)) <= {str(i) for i in range(len(expected))} | {f"LABEL_{i}" for i in range(len(expected))}:
            raise Hint("키가 번호예요. 키에는 사람이 읽는 라벨 이름(d['label'])을 쓰세요.")
        if len(answer) < len(expected) and set(answer) <= set(expected):
            raise Hint("라벨 일부만 들어 있어요. top_k=None 으로 모든 라벨의 점수를 받아 전부 넣으세요.")
        raise Hint("키가 파이프라인 출력의 라벨 이름과 달라요. 키는 d['label'], 값은 d['score'] 예요.")
    for label, score in expected.items():
        value = as_number(answer[label], f"'{label}' 의 점수")
        if abs(value - 100 * score) < 1e-3 and abs(value - score) > 1e-6:
            raise Hint("퍼센트(0~100)로 바꿨어요. gr.Label 은 0~1 사이 점수를 받아 스스로 %로 보여 줘요.")
        ensure(abs(value - score) < 1e-6,
               f"'{label}' 의 점수가 파이프라인 출력과 달라요. 라벨과 점수를 같은 딕셔너리(d)에서 짝지었는지 확인하세요.")
    top = max(expected, key=expected.get)
    return f"{len(expected)}개 라벨의 점수. gr.Label 은 가장 높은 '{top}' 을(를) 크게 보여 줘요."


# --------------------------------------------------------------------------------------------------
# 12.3 which hardware tier fits
# --------------------------------------------------------------------------------------------------
@exercise("12.3", "모델이 들어가는 가장 작은 하드웨어", allow_none=True)
def check_hardware(answer, n_params, dtype, gpu):
    """Check the smallest tier of ``hflab.spaces.HARDWARE`` of the wanted kind (GPU or CPU) whose
    memory holds the weights (``memory.weights_gb``) within the headroom; ``None`` when none does.
    Used in: 12_spaces_gradio."""
    from .. import memory, spaces

    expected = spaces.smallest_fit(n_params, dtype, gpu=gpu)
    need = memory.weights_gb(n_params, dtype)
    if isinstance(answer, spaces.Hardware):
        answer = answer.flavor
    if answer is None:
        ensure(expected is None, "들어가는 등급이 있어요. 목록을 작은 것부터 다시 확인하세요.")
        return f"가중치만 {need:.1f} GB: 이 목록의 {'GPU' if gpu else 'CPU'} 등급에는 들어가지 않아요 (더 작은 dtype이나 모델을 고르세요)."
    ensure(isinstance(answer, str), f"답은 등급 id 문자열(예: 'cpu-basic')이나 None 이에요. 지금은 {type(answer).__name__}.")
    try:
        hw = spaces.hardware(answer)
    except spaces.SpaceError:
        raise Hint(f"'{answer}' 는 목록에 없는 등급 id예요. hflab.spaces.HARDWARE 의 flavor 값을 쓰세요.") from None
    if hw.has_gpu != bool(gpu):
        raise Hint("GPU 등급인지 CPU 등급인지 다시 보세요. 문제에서 고른 종류의 등급 안에서 찾아야 해요.")
    if not spaces.fits(hw, n_params, dtype):
        cap = hw.memory_gb * spaces.HEADROOM
        if expected is None:
            raise Hint(f"가중치 {need:.1f} GB 가 {hw.flavor} 의 쓸 수 있는 메모리 {cap:.1f} GB 보다 커요. "
                       "이 종류의 어느 등급에도 들어가지 않아요: 답은 None 이에요.")
        raise Hint(f"가중치 {need:.1f} GB 가 {hw.flavor} 의 쓸 수 있는 메모리({hw.memory_gb:g} GB x {spaces.HEADROOM}) "
                   f"{cap:.1f} GB 보다 커요. 파라미터 수 x dtype 바이트를 다시 계산하세요.")
    if expected is None or hw.flavor != expected.flavor:
        raise Hint(f"{hw.flavor} 에도 들어가지만 더 작은 등급에도 들어가요. 목록의 작은 것부터 확인하세요.")
    return (f"가중치 {need:.2f} GB ≤ {hw.name} 의 {hw.memory_gb:g} GB x {spaces.HEADROOM} = "
            f"{hw.memory_gb * spaces.HEADROOM:.1f} GB.")


# --------------------------------------------------------------------------------------------------
# 12.4 ChatInterface history -> chat template messages
# --------------------------------------------------------------------------------------------------
@exercise("12.4", "ChatInterface 기록을 채팅 템플릿 메시지로")
def check_chat_messages(answer, message, history, system_prompt):
    """Check ``[system, *history, user]`` messages with string content, from a Gradio 6
    ``ChatInterface`` ``history`` (content = list of parts). Used in: 12_spaces_gradio."""
    from .. import spaces

    expected = spaces.chat_messages(message, history, system_prompt)
    ensure(isinstance(answer, list), f"답은 메시지 딕셔너리의 리스트예요. 지금은 {type(answer).__name__} 값이에요.")
    ensure(all(isinstance(m, dict) and "role" in m and "content" in m for m in answer),
           "각 메시지는 {'role': ..., 'content': ...} 딕셔너리예요.")
    if answer and any(not isinstance(m["content"], str) for m in answer):
        raise Hint("content 가 리스트(조각 모음)인 메시지가 있어요. Gradio 6 history 의 content 는 "
                   "[{'type': 'text', 'text': ...}] 라서, 글자 조각을 이어 붙여 문자열로 만들어야 해요.")
    roles = [m["role"] for m in answer]
    want_roles = [m["role"] for m in expected]
    if roles[:1] != ["system"] and want_roles[:1] == ["system"]:
        raise Hint("맨 앞에 system 메시지가 없어요. 시스템 프롬프트를 첫 메시지로 넣으세요.")
    if len(answer) == len(expected) - 1 and roles == want_roles[:-1]:
        raise Hint("새로 받은 message 가 빠졌어요. history 뒤에 {'role': 'user', 'content': message} 를 붙이세요.")
    ensure(len(answer) == len(expected),
           f"메시지 수가 달라요 (지금 {len(answer)}개). system 1개 + history 전부 + 새 user 메시지 1개예요.")
    ensure(roles == want_roles, "메시지 순서나 role 이 달라요. history 의 순서와 role 을 그대로 지키세요.")
    for i, (a, e) in enumerate(zip(answer, expected)):
        ensure(a["content"] == e["content"], f"{i}번째 메시지의 content 가 달라요. 글자 조각의 'text' 를 빠짐없이 이어 붙였는지 보세요.")
    return f"메시지 {len(expected)}개 (system, 기록 {len(expected) - 2}개, 새 질문). apply_chat_template 에 그대로 넣을 수 있어요."


def examples() -> list[Example]:
    """Right and wrong answers for the tests (no network, no model)."""
    from .. import spaces

    gv = spaces.course_pins()["gradio"]

    def readme(**kw):
        meta = {"title": "Review demo", "emoji": "🛍️", "colorFrom": "blue", "colorTo": "green", "sdk": "gradio",
                "sdk_version": gv, "app_file": "app.py", "license": "apache-2.0"}
        meta.update(kw)
        lines = [f"{k}: {v!r}" if isinstance(v, str) else f"{k}: {v}" for k, v in meta.items() if v is not None]
        return "---\n" + "\n".join(lines) + "\n---\n\n# 리뷰 데모\n"

    out = [{"label": "positive", "score": 0.8125}, {"label": "negative", "score": 0.1875}]
    good = {"positive": 0.8125, "negative": 0.1875}
    hist = [{"role": "user", "content": [{"type": "text", "text": "안녕"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "Hello!"}]}]
    sysmsg = "Answer briefly."
    right_msgs = [{"role": "system", "content": sysmsg}, {"role": "user", "content": "안녕"},
                  {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Who are you?"}]
    chat = dict(message="Who are you?", history=hist, system_prompt=sysmsg)
    return [
        Example(check_space_readme, right=dict(answer=readme()), wrong=[
            (dict(answer=readme()[4:]), "---"),
            (dict(answer=readme(sdk="streamlit")), "sdk"),
            (dict(answer=readme(sdk_version="4.44.0")), "고정"),
            (dict(answer=readme(sdk_version=None)), "sdk_version"),
            (dict(answer=readme(app_file="main.py")), "app_file"),
            (dict(answer=readme(colorFrom="orange")), "색"),
            (dict(answer=readme(license=None)), "license"),
            (dict(answer={"sdk": "gradio"}), "str"),
        ]),
        Example(check_label_dict, right=dict(answer=good, pipeline_output=out), wrong=[
            (dict(answer=out, pipeline_output=out), "딕셔너리"),
            (dict(answer="positive", pipeline_output=out), "라벨 이름 하나"),
            (dict(answer={"positive": 0.8125}, pipeline_output=out), "일부"),
            (dict(answer={"positive": 81.25, "negative": 18.75}, pipeline_output=out), "퍼센트"),
            (dict(answer={"positive": 0.1875, "negative": 0.8125}, pipeline_output=out), "짝지"),
            (dict(answer={0: 0.1875, 1: 0.8125}, pipeline_output=out), "번호"),
        ]),
        Example(check_hardware, right=dict(answer="a10g-small", n_params=8.03e9, dtype="float16", gpu=True), wrong=[
            (dict(answer="t4-small", n_params=8.03e9, dtype="float16", gpu=True), "GB"),
            (dict(answer="a100-large", n_params=8.03e9, dtype="float16", gpu=True), "더 작은 등급"),
            (dict(answer="cpu-upgrade", n_params=8.03e9, dtype="float16", gpu=True), "GPU 등급인지"),
            (dict(answer="h100", n_params=8.03e9, dtype="float16", gpu=True), "목록에 없는"),
            (dict(answer=None, n_params=8.03e9, dtype="float16", gpu=True), "들어가는 등급이 있어요"),
            (dict(answer="cpu-upgrade", n_params=8.03e9, dtype="float32", gpu=False), "None"),
        ]),
        Example(check_chat_messages, right=dict(answer=right_msgs, **chat), wrong=[
            (dict(answer=[{"role": "system", "content": sysmsg}, *hist, {"role": "user", "content": "Who are you?"}],
                  **chat), "조각"),
            (dict(answer=right_msgs[1:], **chat), "system"),
            (dict(answer=right_msgs[:-1], **chat), "새로 받은"),
            (dict(answer=[right_msgs[0], right_msgs[2], right_msgs[1], right_msgs[3]], **chat), "순서"),
            (dict(answer=[*right_msgs[:2], {"role": "assistant", "content": "Hello"}, right_msgs[3]], **chat),
             "content"),
            (dict(answer="안녕", **chat), "리스트"),
        ]),
    ]
