"""Checkers for lesson 10 (sharing on the Hub): an EvalResult from measured predictions, a repo id in
the right namespace, the commit operations for "add one file, delete another", the visibility of an
upload, and the licence field of a model card.

Every checker recomputes its expectation from the same inputs the learner used: the accuracy from the
given predictions and references, the repo id from the given user name and repo name, the operations
from the two paths, the visibility from each scenario's own attributes (who may see it, personal data,
terms to accept), the licence from the base model's catalog entry.

Used in: 10_sharing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import Example, Hint, as_number, ensure, exercise

LESSON = "10_sharing"

#: the task and metric ids the model-index uses for the course's review classifier
TASK_TYPE = "text-classification"
METRIC_TYPE = "accuracy"


def accuracy_of(predictions, references) -> float:
    """Share of positions where prediction == reference (what ``evaluate.load("accuracy")`` computes).

    Used in: 10_sharing (checker 10.1).
    """
    predictions, references = [int(p) for p in predictions], [int(r) for r in references]
    if len(predictions) != len(references) or not references:
        from ..errors import HflabError

        raise HflabError(
            f"예측({len(predictions)}개)과 정답({len(references)}개)의 개수가 같고 0보다 커야 합니다.",
            fix="같은 테스트 분할에서 만든 두 목록을 넘기세요.",
        )
    return sum(p == r for p, r in zip(predictions, references)) / len(references)


# --------------------------------------------------------------------------------------------------
# 10.1 EvalResult from measured predictions
# --------------------------------------------------------------------------------------------------
@exercise("10.1", "측정한 정확도로 EvalResult 만들기")
def check_eval_result(answer, predictions, references, dataset_id, split="test"):
    """Check a ``huggingface_hub.EvalResult`` for the accuracy of ``predictions`` against ``references``
    on ``dataset_id`` / ``split``: task ``text-classification``, metric ``accuracy``, value = the
    accuracy recomputed here (a 0-1 fraction, rounding to 4 digits accepted). Used in: 10_sharing."""
    from huggingface_hub import EvalResult

    acc = accuracy_of(predictions, references)
    ensure(isinstance(answer, EvalResult),
           f"답은 huggingface_hub.EvalResult(...) 객체예요. 지금은 {type(answer).__name__} 값이에요. "
           "딕셔너리({'name': ..., 'value': ...})는 옛 CardData(metrics=...) 방식이라 model-index가 되지 않아요.")
    ensure(answer.task_type == TASK_TYPE,
           f"task_type은 작업 id예요. 리뷰 감성 분류는 '{TASK_TYPE}' 입니다 (지금: {answer.task_type!r}).")
    ensure(answer.dataset_type == dataset_id,
           f"dataset_type에는 평가에 쓴 데이터셋의 Hub id를 그대로 쓰세요 (지금: {answer.dataset_type!r}).")
    ensure(answer.dataset_split == split,
           f"dataset_split에는 평가한 분할 이름을 쓰세요. 어느 분할로 쟀는지 모르면 숫자를 믿을 수 없어요 "
           f"(지금: {answer.dataset_split!r}).")
    ensure(isinstance(answer.metric_type, str) and answer.metric_type == METRIC_TYPE,
           f"metric_type은 지표 id(소문자)예요: '{METRIC_TYPE}'. 보기 좋은 이름은 metric_name에 쓰세요 "
           f"(지금: {answer.metric_type!r}).")
    value = as_number(answer.metric_value, "metric_value")
    if abs(value - acc) <= 5e-5 + 1e-12:
        return f"정확도 {acc:.4f} ({len(references)}개 중 {round(acc * len(references))}개 맞음)를 model-index 형식으로 적었어요."
    if abs(value - 100 * acc) <= 5e-3:
        raise Hint("퍼센트(0~100)로 적었어요. model-index의 정확도는 0~1 사이 비율로 적습니다.")
    if abs(value - (1 - acc)) <= 5e-5:
        raise Hint("틀린 비율(오류율)을 적었어요. 정확도는 예측 == 정답인 비율이에요.")
    n_right = round(acc * len(references))
    if value == n_right:
        raise Hint("맞은 개수를 적었어요. 전체 개수로 나눠 비율로 적으세요.")
    raise Hint(f"metric_value가 주어진 예측과 정답으로 계산한 정확도와 달라요 (지금 {value:.4f}). "
               "predictions와 references를 같은 순서로 비교했는지 확인하세요.")


# --------------------------------------------------------------------------------------------------
# 10.2 repo id in the right namespace
# --------------------------------------------------------------------------------------------------
_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_-])?$")


@exercise("10.2", "내 네임스페이스의 저장소 id")
def check_repo_id(answer, username, repo_name):
    """Check ``answer`` == ``f"{username}/{repo_name}"``, with hints for a bare name, a URL, a
    ``datasets/`` prefix, someone else's namespace or characters the Hub refuses. Used in: 10_sharing."""
    expected = f"{username}/{repo_name}"
    ensure(isinstance(answer, str), f"답은 문자열(str)이에요. 지금은 {type(answer).__name__} 값이에요.")
    if answer == expected:
        return f"'{expected}': 네임스페이스(내 사용자 이름) / 저장소 이름. 같은 id로 push_to_hub 하고 from_pretrained 합니다."
    a = answer.strip()
    if a == expected:
        raise Hint("앞뒤에 공백이 있어요. 저장소 id에는 공백이 들어가지 않아요.")
    if a.startswith(("http://", "https://")) or "huggingface.co" in a:
        raise Hint("주소(URL)가 아니라 id를 쓰세요: '네임스페이스/이름' 두 부분만.")
    if a.startswith(("datasets/", "spaces/", "models/")):
        raise Hint("'datasets/' 같은 앞부분은 주소에만 붙어요. id에는 빼고, 종류는 repo_type='dataset' 으로 알려 줍니다.")
    if "/" not in a:
        if a == repo_name:
            raise Hint("이름만 썼어요. 앞에 네임스페이스(내 사용자 이름)와 '/'를 붙이세요. "
                       "이름만 주면 라이브러리가 토큰 주인의 네임스페이스를 짐작하지만, 다른 곳에서 불러올 때는 전체 id가 필요해요.")
        raise Hint("저장소 id는 '네임스페이스/이름' 모양이에요. '/'가 하나 있어야 해요.")
    ns, _, name = a.partition("/")
    ensure("/" not in name, "'/'는 하나만 씁니다: '네임스페이스/이름'.")
    ensure(_NAME_RE.match(ns or "-") and _NAME_RE.match(name or "-"),
           "Hub의 이름에는 영문자, 숫자, '-', '_', '.' 만 쓸 수 있어요 (공백·한글 불가, '-'나 '.'로 끝나면 안 됨).")
    if ns != username:
        if ns.lower() == username.lower():
            raise Hint("네임스페이스의 대소문자가 달라요. whoami()가 알려 준 사용자 이름 그대로 쓰세요.")
        raise Hint(f"네임스페이스 '{ns}'는 내 사용자 이름이 아니에요. 내 토큰으로는 내 네임스페이스(또는 쓰기 권한이 있는 조직)에만 올릴 수 있어요.")
    raise Hint(f"저장소 이름이 달라요. 주어진 이름 '{repo_name}'을(를) 그대로 쓰세요.")


# --------------------------------------------------------------------------------------------------
# 10.3 one commit: add a file, delete another
# --------------------------------------------------------------------------------------------------
def _path(op) -> str:
    return str(getattr(op, "path_in_repo", "")).strip()


@exercise("10.3", "커밋 하나에 추가와 삭제")
def check_commit_operations(answer, add_path="a.txt", delete_path="b.txt"):
    """Check a list of commit operations for ``api.create_commit``: one ``CommitOperationAdd`` for
    ``add_path`` and one ``CommitOperationDelete`` for ``delete_path``, nothing else. Used in: 10_sharing."""
    from huggingface_hub import CommitOperationAdd, CommitOperationCopy, CommitOperationDelete

    ensure(isinstance(answer, (list, tuple)),
           "답은 연산(operation) 객체의 리스트예요: [CommitOperationAdd(...), CommitOperationDelete(...)]")
    kinds = (CommitOperationAdd, CommitOperationDelete, CommitOperationCopy)
    for op in answer:
        if isinstance(op, (str, dict, tuple)):
            raise Hint("문자열·딕셔너리가 아니라 huggingface_hub의 CommitOperationAdd / CommitOperationDelete 객체를 넣으세요.")
        ensure(isinstance(op, kinds), f"{type(op).__name__}는 커밋 연산이 아니에요. CommitOperationAdd / CommitOperationDelete를 쓰세요.")
    adds = [op for op in answer if isinstance(op, CommitOperationAdd)]
    deletes = [op for op in answer if isinstance(op, CommitOperationDelete)]
    ensure(not any(isinstance(op, CommitOperationCopy) for op in answer),
           "복사(CommitOperationCopy)는 필요 없어요. 추가 하나와 삭제 하나면 됩니다.")
    if any(_path(op) == delete_path for op in adds):
        raise Hint(f"'{delete_path}'를 CommitOperationAdd로 넣었어요. 빈 내용으로 덮어쓰는 것은 삭제가 아니에요: "
                   "CommitOperationDelete(path_in_repo=...)를 쓰세요.")
    if any(_path(op) == add_path for op in deletes):
        raise Hint(f"'{add_path}'를 지우려 하고 있어요. 새로 올릴 파일은 CommitOperationAdd예요.")
    ensure(len(adds) == 1 and _path(adds[0]) == add_path,
           f"CommitOperationAdd가 하나, path_in_repo='{add_path}' 이어야 해요 (지금 추가 연산 {len(adds)}개: "
           f"{[_path(op) for op in adds]}).")
    ensure(len(deletes) == 1 and _path(deletes[0]) == delete_path,
           f"CommitOperationDelete가 하나, path_in_repo='{delete_path}' 이어야 해요 (지금 삭제 연산 {len(deletes)}개: "
           f"{[_path(op) for op in deletes]}).")
    ensure(len(answer) == 2, "연산은 추가 하나와 삭제 하나, 모두 두 개예요.")
    return f"api.create_commit(repo_id, operations=답, ...) 한 번이면 '{add_path}' 추가와 '{delete_path}' 삭제가 커밋 하나가 됩니다."


# --------------------------------------------------------------------------------------------------
# 10.4 visibility of an upload
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    """An upload to decide on: who may see it, does it hold personal data, must users accept terms."""

    description: str
    audience: str          # "me" | "team" | "everyone"
    personal_data: bool    # names, phone numbers ... of real people
    terms: bool            # users must accept terms / share contact details before downloading


#: the scenarios the lesson shows (key -> Scenario)
SCENARIOS = {
    "homework_model": Scenario("수업 과제로 미세조정한 리뷰 분류기. 아직 검토 전이라 나만 본다", "me", False, False),
    "class_dataset": Scenario("수업용으로 직접 쓴 리뷰 데이터(CC-BY-4.0). 누구나 받아 쓰게 한다", "everyone", False, False),
    "customer_reviews": Scenario("회사 고객 리뷰 원문(작성자 이름·전화번호 포함). 팀 실험에 쓴다", "team", True, False),
    "terms_model": Scenario("모두에게 공개하되, 받는 사람이 사용 약관에 동의하고 연락처를 남기게 한다", "everyone", False, True),
    "final_model": Scenario("검토를 마친 과제 모델. 누구나 써 보게 한다 (개인 정보 없음)", "everyone", False, False),
}
VISIBILITIES = ("private", "public", "gated")


def visibility_for(scenario: Scenario) -> str:
    """``private`` when not everyone may see it or it holds personal data, else ``gated`` when users must
    accept terms, else ``public``. Used in: 10_sharing."""
    if scenario.personal_data or scenario.audience != "everyone":
        return "private"
    return "gated" if scenario.terms else "public"


@exercise("10.4", "공개 범위 고르기 (private / public / gated)")
def check_visibility(answer, scenarios=None):
    """Check a dict {scenario key: 'private' | 'public' | 'gated'} against :func:`visibility_for`.
    Used in: 10_sharing."""
    scenarios = dict(SCENARIOS if scenarios is None else scenarios)
    ensure(isinstance(answer, dict), "답은 {상황 키: 'private' | 'public' | 'gated'} 형태의 딕셔너리예요.")
    for key in scenarios:
        ensure(key in answer, f"'{key}' 상황의 답이 없어요.")
    for key, sc in scenarios.items():
        got = str(answer[key]).strip().lower()
        ensure(got in VISIBILITIES, f"'{key}': 'private', 'public', 'gated' 중 하나로 쓰세요 (지금: {answer[key]!r}).")
        want = visibility_for(sc)
        if got == want:
            continue
        if sc.personal_data:
            raise Hint(f"'{key}' ({sc.description}): 실제 사람의 개인 정보가 든 데이터는 공개하면 안 돼요. "
                       "게이트(gated)도 승인받은 누구나 받을 수 있는 공개 저장소예요.")
        if sc.audience != "everyone":
            raise Hint(f"'{key}' ({sc.description}): 모두가 볼 필요가 없는 저장소예요. 보여 줄 사람만 보게 하세요.")
        if sc.terms:
            raise Hint(f"'{key}' ({sc.description}): 공개하되 받기 전에 동의를 받는 방법이 있어요 (접근 신청).")
        if got == "gated":
            raise Hint(f"'{key}' ({sc.description}): 받는 사람에게 동의를 받을 일이 없어요. 게이트는 사용자에게 한 단계를 더 요구해요.")
        raise Hint(f"'{key}' ({sc.description}): 누구나 써도 되는 저장소예요. 숨길 이유가 없어요.")
    return "공개 범위는 '누가 봐도 되나', '개인 정보가 있나', '받기 전에 동의가 필요한가' 세 질문으로 정해집니다."


# --------------------------------------------------------------------------------------------------
# 10.5 the licence field of the model card
# --------------------------------------------------------------------------------------------------
def license_for_finetune(base_model: str) -> str:
    """The licence id to put in the card of a model fine-tuned from ``base_model``: the base model's own
    licence (catalog entry). Share-alike licences (cc-by-sa-*) require it; for permissive ones keeping
    the base licence is the simple, safe choice. Used in: 10_sharing."""
    from ..catalog import entry
    from ..errors import HflabError

    lic = entry(base_model).license
    if not lic:
        raise HflabError(f"카탈로그에 '{base_model}'의 라이선스가 적혀 있지 않습니다.",
                         fix="모델 페이지의 license 항목을 확인해 hflab/catalog.py 에 적으세요.")
    return lic


_LICENSE_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")


@exercise("10.5", "모델 카드의 license 필드")
def check_card_license(answer, base_model, data_license="cc-by-4.0"):
    """Check the ``license=`` value (a Hub licence id) of a model fine-tuned from ``base_model`` on data
    under ``data_license``: the base model's licence from the catalog. Used in: 10_sharing."""
    expected = license_for_finetune(base_model)
    if hasattr(answer, "license") and not isinstance(answer, str):  # a ModelCardData was given
        answer = answer.license
    ensure(isinstance(answer, str) and answer.strip(), "답은 라이선스 id 문자열이에요 (예: 'mit').")
    got = answer.strip()
    if got == expected:
        extra = " 공유 조건(share-alike) 라이선스라서 파생 모델도 같은 라이선스여야 해요." if "-sa-" in expected else ""
        return f"기반 모델 {base_model}의 라이선스 '{expected}'.{extra} 데이터의 출처({data_license})는 datasets 필드와 본문에 밝힙니다."
    if got.lower() == expected:
        raise Hint("라이선스 id는 소문자로 씁니다 (Hub의 라이선스 목록과 같은 모양).")
    ensure(_LICENSE_RE.match(got) is not None,
           "라이선스 이름이 아니라 Hub의 라이선스 id를 쓰세요: 소문자와 '-' (예: 'apache-2.0', 'cc-by-sa-4.0').")
    if got == data_license:
        raise Hint("데이터의 라이선스를 적었어요. license 필드는 이 저장소의 가중치에 대한 것이고, 가중치는 기반 모델에서 왔어요. "
                   "기반 모델의 라이선스를 확인하세요 (카탈로그 또는 모델 페이지).")
    if got in ("other", "unknown"):
        raise Hint("기반 모델의 라이선스가 알려져 있으니 'other' 대신 그 id를 쓰세요.")
    raise Hint(f"'{got}'은(는) 기반 모델 {base_model}의 라이선스가 아니에요. hflab.catalog.entry(...).license 나 모델 페이지를 확인하세요.")


# --------------------------------------------------------------------------------------------------
def examples() -> list[Example]:
    """Right and wrong answers for the tests (no network, no model)."""
    from huggingface_hub import CommitOperationAdd, CommitOperationCopy, CommitOperationDelete, EvalResult

    preds = [1, 0, 1, 1, 0, 0, 1, 0]
    refs = [1, 0, 0, 1, 0, 1, 1, 0]   # 6 of 8 right
    acc = accuracy_of(preds, refs)
    ds = "student/hflab-10-reviews"

    def er(**kw):
        base = dict(task_type=TASK_TYPE, dataset_type=ds, dataset_name="reviews", dataset_split="test",
                    metric_type=METRIC_TYPE, metric_value=acc)
        base.update(kw)
        return EvalResult(**base)

    ev = dict(predictions=preds, references=refs, dataset_id=ds)
    add, delete = CommitOperationAdd("a.txt", b"a"), CommitOperationDelete("b.txt")
    vis = {k: visibility_for(s) for k, s in SCENARIOS.items()}
    return [
        Example(check_eval_result, right=dict(answer=er(), **ev), wrong=[
            (dict(answer=er(metric_value=100 * acc), **ev), "퍼센트"),
            (dict(answer=er(metric_value=1 - acc), **ev), "오류율"),
            (dict(answer=er(metric_value=6), **ev), "맞은 개수"),
            (dict(answer=er(metric_value=0.5), **ev), "달라요"),
            (dict(answer=er(metric_type="Accuracy"), **ev), "소문자"),
            (dict(answer=er(task_type="sentiment"), **ev), "작업 id"),
            (dict(answer=er(dataset_split="train"), **ev), "분할"),
            (dict(answer=er(dataset_type="reviews"), **ev), "Hub id"),
            (dict(answer={"name": "accuracy", "value": acc}, **ev), "CardData"),
        ]),
        Example(check_repo_id, right=dict(answer="student/hflab-10-demo", username="student", repo_name="hflab-10-demo"),
                wrong=[
                    (dict(answer="hflab-10-demo", username="student", repo_name="hflab-10-demo"), "네임스페이스"),
                    (dict(answer="https://huggingface.co/student/hflab-10-demo", username="student",
                          repo_name="hflab-10-demo"), "URL"),
                    (dict(answer="datasets/student/hflab-10-demo", username="student", repo_name="hflab-10-demo"),
                     "repo_type"),
                    (dict(answer="teacher/hflab-10-demo", username="student", repo_name="hflab-10-demo"),
                     "내 사용자 이름이 아니에요"),
                    (dict(answer="Student/hflab-10-demo", username="student", repo_name="hflab-10-demo"), "대소문자"),
                    (dict(answer="student/hflab 10 demo", username="student", repo_name="hflab-10-demo"), "공백"),
                    (dict(answer="student/hflab-10-demo ", username="student", repo_name="hflab-10-demo"), "공백"),
                    (dict(answer="student/other", username="student", repo_name="hflab-10-demo"), "이름이 달라요"),
                ]),
        Example(check_commit_operations, right=dict(answer=[add, delete]), wrong=[
            (dict(answer=[add, CommitOperationAdd("b.txt", b"")]), "CommitOperationDelete"),
            (dict(answer=[CommitOperationDelete("a.txt"), delete]), "CommitOperationAdd"),
            (dict(answer=[add]), "CommitOperationDelete가 하나"),
            (dict(answer=[add, delete, CommitOperationAdd("c.txt", b"c")]), "추가 연산 2개"),
            (dict(answer=[add, delete, CommitOperationCopy("a.txt", "c.txt")]), "복사"),
            (dict(answer=[CommitOperationAdd("data/a.txt", b"a"), delete]), "path_in_repo='a.txt'"),
            (dict(answer=["add a.txt", "delete b.txt"]), "객체"),
            (dict(answer=add), "리스트"),
        ]),
        Example(check_visibility, right=dict(answer=vis), wrong=[
            (dict(answer={**vis, "customer_reviews": "gated"}), "개인 정보"),
            (dict(answer={**vis, "homework_model": "public"}), "보여 줄 사람만"),
            (dict(answer={**vis, "terms_model": "public"}), "동의"),
            (dict(answer={**vis, "class_dataset": "gated"}), "한 단계"),
            (dict(answer={**vis, "final_model": "private"}), "숨길 이유"),
            (dict(answer={**vis, "final_model": "open"}), "중 하나"),
            (dict(answer={"homework_model": "private"}), "답이 없어요"),
        ]),
        Example(check_card_license, right=dict(answer="apache-2.0", base_model="sentence-transformers/all-MiniLM-L6-v2"),
                wrong=[
                    (dict(answer="cc-by-4.0", base_model="sentence-transformers/all-MiniLM-L6-v2"), "데이터의 라이선스"),
                    (dict(answer="Apache-2.0", base_model="sentence-transformers/all-MiniLM-L6-v2"), "소문자"),
                    (dict(answer="Apache License 2.0", base_model="sentence-transformers/all-MiniLM-L6-v2"), "라이선스 id"),
                    (dict(answer="mit", base_model="sentence-transformers/all-MiniLM-L6-v2"), "기반 모델"),
                    (dict(answer="other", base_model="sentence-transformers/all-MiniLM-L6-v2"), "'other' 대신"),
                    (dict(answer="apache-2.0", base_model="klue/roberta-base"), "기반 모델"),
                    (dict(answer="", base_model="klue/roberta-base"), "문자열"),
                ]),
    ]
