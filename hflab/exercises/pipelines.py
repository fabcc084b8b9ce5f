"""Checkers for lesson 02 (pipelines): task names, reading outputs, chat messages, throughput.

Each checker recomputes its expectation from the same inputs the learner used: task names
are resolved through transformers' own pipeline registry (``check_task``, aliases, the tasks
removed in transformers 5), the top label is read from the learner's own pipeline output,
the messages are checked against the text and language asked for (and rendered with the
learner's chat template when a tokenizer is given), and items/s is recomputed from the
measured count and seconds.

Used in: 02_pipelines.
"""
from __future__ import annotations

from . import Example, Hint, as_number, ensure, exercise, is_close

LESSON = "02_pipelines"

#: Jobs the lesson asks about (Korean description -> the pipeline task that does it today).
#: Summarization, translation and question answering are chat jobs in transformers 5.
JOBS = {
    "리뷰가 긍정인지 부정인지 판별": "text-classification",
    "문장에서 사람·기관·장소 이름 찾기": "token-classification",
    "[MASK] 자리에 들어갈 단어 맞히기": "fill-mask",
    "문장을 벡터로 바꿔 유사도 계산": "feature-extraction",
    "학습한 적 없는 라벨 목록으로 주제 분류": "zero-shot-classification",
    "긴 글을 세 문장으로 요약": "text-generation",
    "한국어 문장을 영어로 번역": "text-generation",
}


def _resolve_task(name: str) -> tuple[str | None, str | None]:
    """(canonical task, None) for a valid task name; (None, reason) otherwise."""
    from transformers.pipelines import check_task

    try:
        task, _, _ = check_task(name)
    except KeyError as e:
        msg = str(e.args[0]) if e.args else str(e)
        if "has been removed" in msg:
            return None, "removed"
        return None, "unknown"
    return task, None


def _expected_task(job: str) -> str:
    if job not in JOBS:
        from ..errors import HflabError

        raise HflabError(
            f"'{job}' 는 이 연습 문제의 작업 설명이 아닙니다.",
            fix="hflab.exercises.pipelines.JOBS 의 키(작업 설명)를 그대로 쓰세요.",
        )
    task, problem = _resolve_task(JOBS[job])
    assert problem is None, JOBS[job]  # the table itself must name valid tasks
    return task


# --- 02.1 task names ------------------------------------------------------------------------


@exercise("02.1", "일에 맞는 파이프라인 작업 이름")
def check_task_names(answer, jobs=tuple(JOBS)):
    """Check a dict {job description: pipeline task name} against transformers' registry.

    Aliases are accepted (``"sentiment-analysis"`` is ``"text-classification"``); a task removed
    in transformers 5 (summarization, translation, question-answering) gets a hint that says
    what replaced it. Used in: 02_pipelines.
    """
    jobs = [jobs] if isinstance(jobs, str) else list(jobs)
    ensure(isinstance(answer, dict), "작업 설명을 키로, 파이프라인 작업 이름(문자열)을 값으로 하는 딕셔너리로 답하세요.")
    for job in jobs:
        ensure(job in answer, f"'{job}' 에 대한 답이 없어요. 딕셔너리에 이 키를 넣으세요.")
    for job in jobs:
        expected = _expected_task(job)
        got = answer[job]
        ensure(isinstance(got, str), f"'{job}': 작업 이름은 'text-classification' 같은 문자열이에요.")
        task, problem = _resolve_task(got.strip())
        if problem == "removed":
            raise Hint(
                f"'{job}': '{got}' 작업은 transformers 5에서 없어졌어요. 요약·번역·질의응답은 이제 "
                "채팅 모델에 메시지를 주는 'text-generation' 파이프라인으로 합니다."
            )
        if problem == "unknown":
            raise Hint(f"'{job}': '{got}' 는 파이프라인 작업 이름이 아니에요. 철자와 하이픈(-)을 확인하세요.")
        if task != expected:
            raise Hint(f"'{job}': '{got}' 는 다른 일을 하는 작업이에요. 모델이 무엇을 출력해야 하는지 "
                       "(문장마다 라벨, 토큰마다 라벨, 빈칸의 단어, 벡터, 새 글) 생각해 보세요.")
    return ", ".join(f"{j} → {_expected_task(j)}" for j in jobs)


# --- 02.2 top label ---------------------------------------------------------------------------


def _scores(outputs) -> list[dict]:
    """The list of {label, score} dicts of ONE input (a batch of one is unwrapped)."""
    if isinstance(outputs, dict):
        outputs = [outputs]
    outputs = list(outputs)
    if len(outputs) == 1 and isinstance(outputs[0], (list, tuple)):
        outputs = list(outputs[0])
    if not outputs or not all(isinstance(o, dict) and "label" in o and "score" in o for o in outputs):
        from ..errors import HflabError

        raise HflabError(
            "outputs 는 한 문장에 대한 파이프라인 출력([{'label': ..., 'score': ...}, ...])이어야 합니다.",
            fix="clf(문장, top_k=None) 의 결과를 그대로 넘기세요.",
        )
    return outputs


@exercise("02.2", "파이프라인 출력에서 가장 높은 라벨 읽기")
def check_top_label(answer, outputs):
    """Check the label with the highest score in a text-classification output (``top_k=None``).

    The expectation is recomputed from `outputs` (whatever order it is in).
    Used in: 02_pipelines.
    """
    scores = _scores(outputs)
    best = max(scores, key=lambda o: o["score"])
    worst = min(scores, key=lambda o: o["score"])
    if isinstance(answer, dict):
        raise Hint("딕셔너리 전체가 들어왔어요. 그 안의 'label' 값(문자열)만 답하세요.")
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        raise Hint("점수(score)나 번호가 아니라 라벨 이름(문자열)으로 답하세요.")
    ensure(isinstance(answer, str), "라벨 이름을 문자열로 답하세요. 예: outputs[0]['label']")
    if answer == best["label"]:
        return f"가장 높은 라벨은 {best['label']} (점수 {best['score']:.3f})"
    if answer == worst["label"] and len(scores) > 1:
        raise Hint("점수가 가장 낮은 라벨을 골랐어요. max(..., key=lambda o: o['score']) 처럼 가장 큰 점수를 고르세요.")
    if answer not in {o["label"] for o in scores}:
        raise Hint(f"'{answer}' 는 이 출력에 없는 라벨이에요. 라벨 이름은 출력의 'label' 값에서 가져오세요.")
    raise Hint("점수(score)가 가장 큰 항목의 'label' 을 고르세요. 출력이 점수 순서라고 가정하지 말고 직접 비교해 보세요.")


# --- 02.3 messages for a translation request ----------------------------------------------------


_ROLES = {"system", "user", "assistant"}


@exercise("02.3", "번역을 부탁하는 메시지 리스트")
def check_translation_messages(answer, text, target_language, tokenizer=None):
    """Check a chat `messages` list asking to translate `text` into `target_language`.

    Rules: a list of ``{"role", "content"}`` dicts with roles system/user/assistant, the last
    message from the user, the exact `text` in the user content, and the target language
    named in some message. With a `tokenizer`, the list must also render with its chat
    template (``apply_chat_template(..., add_generation_prompt=True)``).
    Used in: 02_pipelines.
    """
    langs = [target_language] if isinstance(target_language, str) else list(target_language)
    if isinstance(answer, str):
        raise Hint("문자열 프롬프트가 아니라 메시지 리스트로 답하세요: "
                   "[{'role': 'user', 'content': '...'}]. 템플릿은 파이프라인이 적용해요.")
    if isinstance(answer, dict):
        raise Hint("메시지 하나(dict)가 들어왔어요. 리스트로 감싸세요: [ {...} ]")
    ensure(isinstance(answer, (list, tuple)) and answer, "메시지 딕셔너리들의 리스트로 답하세요.")
    for i, m in enumerate(answer):
        ensure(isinstance(m, dict), f"{i}번째 항목이 딕셔너리가 아니에요. {{'role': ..., 'content': ...}} 모양이어야 해요.")
        ensure("role" in m and "content" in m, f"{i}번째 메시지에 'role' 과 'content' 키가 모두 있어야 해요.")
        if m["role"] not in _ROLES:
            raise Hint(f"역할(role) '{m['role']}' 는 쓰지 않아요. 'system', 'user', 'assistant' 중 하나를 쓰세요.")
        ensure(isinstance(m["content"], str), f"{i}번째 메시지의 'content' 는 문자열이어야 해요.")
    ensure(answer[-1]["role"] == "user", "마지막 메시지는 사용자(user)의 요청이어야 모델이 그 답을 이어서 씁니다.")
    user_text = "\n".join(m["content"] for m in answer if m["role"] == "user")
    ensure(text in user_text, "번역할 원문을 그대로(한 글자도 바꾸지 않고) user 메시지에 넣으세요.")
    every = "\n".join(m["content"] for m in answer).lower()
    ensure(any(lang.lower() in every for lang in langs),
           f"어떤 언어로 번역할지 메시지에 써 주세요 (예: {langs[0]}).")
    if tokenizer is not None:
        try:
            tokenizer.apply_chat_template(list(answer), tokenize=False, add_generation_prompt=True)
        except Exception as e:  # a template that rejects the roles / order
            raise Hint(f"이 토크나이저의 채팅 템플릿이 메시지를 거부했어요 ({type(e).__name__}). 역할 순서를 확인하세요.")
    return f"메시지 {len(answer)}개: 채팅 모델이 번역해 줄 요청이에요."


# --- 02.4 items per second ----------------------------------------------------------------------


@exercise("02.4", "측정한 시간으로 처리량(items/s) 계산")
def check_items_per_second(answer, n_items, seconds):
    """Check a throughput: `n_items` processed in `seconds` -> items per second.

    Used in: 02_pipelines.
    """
    n = as_number(n_items, "n_items")
    s = as_number(seconds, "seconds")
    ensure(n > 0 and s > 0, "n_items 와 seconds 는 0보다 커야 해요.")
    value = as_number(answer)
    expected = n / s
    if is_close(value, expected, rel=0.01):
        return f"{n:.0f}개 / {s:.3f}초 = 초당 {expected:.1f}개"
    if is_close(value, s / n, rel=0.01):
        raise Hint("나누는 순서가 반대예요: 처리량은 (개수 ÷ 초)예요. 지금 값은 한 개에 걸린 초예요.")
    if is_close(value, n / (s * 1000), rel=0.01) or is_close(value, n / s / 1000, rel=0.01):
        raise Hint("초(second) 단위로 계산하세요. time.perf_counter() 의 차이는 이미 초 단위예요.")
    raise Hint("처리량 = 처리한 개수 ÷ 걸린 초. 측정한 값을 그대로 넣어 다시 계산해 보세요.")


# --- examples for the self-tests ----------------------------------------------------------------


def examples() -> list[Example]:
    from transformers import AutoTokenizer

    right_tasks = {j: t for j, t in JOBS.items()}
    alias = dict(right_tasks, **{"리뷰가 긍정인지 부정인지 판별": "sentiment-analysis"})
    removed = dict(right_tasks, **{"긴 글을 세 문장으로 요약": "summarization"})
    translation = dict(right_tasks, **{"한국어 문장을 영어로 번역": "translation"})
    swapped = dict(right_tasks, **{"[MASK] 자리에 들어갈 단어 맞히기": "feature-extraction"})
    outputs = [{"label": "negative", "score": 0.2}, {"label": "positive", "score": 0.8}]
    tok = AutoTokenizer.from_pretrained("HuggingFaceTB/SmolLM2-135M-Instruct")
    text = "배송이 정말 빨라요."
    good = [{"role": "system", "content": "You are a translator."},
            {"role": "user", "content": f"Translate into English: {text}"}]
    return [
        Example(check_task_names, right=dict(answer=alias),
                wrong=[(dict(answer=removed), "없어졌어요"), (dict(answer=translation), "text-generation"),
                       dict(answer=swapped), dict(answer={}), dict(answer="text-classification"),
                       dict(answer=dict(right_tasks, **{"문장을 벡터로 바꿔 유사도 계산": "embeddings"}))]),
        Example(check_top_label, right=dict(answer="positive", outputs=outputs),
                wrong=[(dict(answer="negative", outputs=outputs), "낮은"), dict(answer=0.8, outputs=outputs),
                       dict(answer={"label": "positive"}, outputs=outputs), dict(answer="POSITIVE", outputs=outputs)]),
        Example(check_translation_messages,
                right=dict(answer=good, text=text, target_language=["English", "영어"], tokenizer=tok),
                wrong=[dict(answer=f"Translate into English: {text}", text=text, target_language="English"),
                       dict(answer=[{"role": "user", "content": "Translate into English: 배송이 빨라요"}], text=text,
                            target_language="English"),
                       dict(answer=[{"role": "human", "content": f"English: {text}"}], text=text,
                            target_language="English"),
                       dict(answer=[{"role": "user", "content": f"번역해 줘: {text}"}], text=text,
                            target_language=["English", "영어"]),
                       dict(answer=good[::-1], text=text, target_language="English")]),
        Example(check_items_per_second, right=dict(answer=128 / 2.5, n_items=128, seconds=2.5),
                wrong=[(dict(answer=2.5 / 128, n_items=128, seconds=2.5), "반대"),
                       dict(answer=128 / 2500, n_items=128, seconds=2.5),
                       dict(answer="51.2", n_items=128, seconds=2.5), dict(answer=40.0, n_items=128, seconds=2.5)]),
    ]
