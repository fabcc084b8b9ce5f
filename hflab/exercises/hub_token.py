"""Checkers for lesson 01 (Hub account and access token): masking, token sources, least privilege,
the files of a model repo, and counting parameters from a safetensors header.

Every checker recomputes its expectation from the same inputs the learner used: the masked form
comes from :func:`hflab.auth.mask_token` on the same (made-up) token, the token role from the task's
own attributes (writes? limited to one repo?), the weight / label files from the files actually in
the given folder, the parameter count from the safetensors header of the given file.

Tokens: the exercises only ever use :func:`fake_token` (a made-up string that is valid nowhere);
no hint ever repeats the token it was given.

Used in: 01_hub_token.
"""
from __future__ import annotations

import json
import math
import random
import string
from pathlib import Path

from . import Example, Hint, as_number, ensure, exercise

LESSON = "01_hub_token"


def fake_token(seed: int = 0) -> str:
    """A made-up token with the shape of a Hugging Face user token (``hf_`` + 34 letters).

    It is valid on no hub; exercises use it so that no real token is ever typed or shown.
    Used in: 01_hub_token.
    """
    rng = random.Random(seed)
    return "hf_" + "".join(rng.choices(string.ascii_letters, k=34))


# --------------------------------------------------------------------------------------------------
# 01.1 masking
# --------------------------------------------------------------------------------------------------
@exercise("01.1", "토큰 가려서 보여 주기")
def check_mask(answer, token):
    """Check a masked display of ``token`` against :func:`hflab.auth.mask_token` (``hf_ab…yz``).

    Used in: 01_hub_token.
    """
    from ..auth import mask_token

    expected = mask_token(token)
    ensure(isinstance(answer, str), f"답은 문자열(str)이어야 해요. 지금은 {type(answer).__name__} 값이에요.")
    ensure(answer != token and answer.strip() != token.strip(),
           "토큰 전체를 그대로 보여 주면 안 돼요! 앞 5글자와 끝 2글자만 남기고 가운데는 '…'로 바꾸세요.")
    if answer == expected:
        return f"앞 5글자와 끝 2글자만 보이면 두 토큰을 구별할 수는 있지만 쓸 수는 없어요 (길이 {len(answer)}글자)."
    middle = token[5:-2]
    if len(middle) >= 4 and any(middle[i:i + 4] in answer for i in range(len(middle) - 3)):
        raise Hint("가운데 글자가 보여요. 앞 5글자(hf_ 포함)와 끝 2글자만 남기고 나머지는 모두 가리세요.")
    if "..." in answer and answer.replace("...", "…") == expected:
        raise Hint("마침표 세 개(...)가 아니라 말줄임표 한 글자 '…'(U+2026)를 쓰세요. hflab.auth.mask_token과 같은 모양이어야 해요.")
    if "…" not in answer:
        raise Hint("가린 부분을 말줄임표 '…' 한 글자로 표시하세요: 앞부분 + '…' + 끝부분.")
    head, _, tail = answer.partition("…")
    ensure(head == token[:5], f"'…' 앞에는 토큰의 앞 5글자(hf_ 포함)가 와야 해요. 지금은 {len(head)}글자예요.")
    ensure(tail == token[-2:], f"'…' 뒤에는 토큰의 끝 2글자가 와야 해요. 지금은 {len(tail)}글자예요.")
    raise Hint("모양이 hflab.auth.mask_token의 결과와 달라요. 앞 5글자 + '…' + 끝 2글자로 만드세요.")


# --------------------------------------------------------------------------------------------------
# 01.2 token sources, in order of preference
# --------------------------------------------------------------------------------------------------
#: ways to give a token to code -> Korean description (the lesson shows this table)
SOURCE_CHOICES = {
    "colab_secret": "Colab 보안 비밀(🔑)에 이름 HF_TOKEN으로 저장",
    "env": "환경 변수 HF_TOKEN (터미널, .env 파일 밖의 셸 설정, CI 비밀 변수)",
    "hf_auth_login": "터미널에서 `hf auth login` (토큰 캐시 파일에 저장)",
    "login": "노트북에서 login() / notebook_login() (브라우저에서 승인 또는 입력 창)",
    "getpass": "getpass 숨김 입력 (그 자리에서 붙여 넣고 저장하지 않음)",
    "literal": "셀에 login(token=\"hf_...\")처럼 토큰을 직접 적기",
}
#: the course's order of preference (the first is the best); "literal" is never acceptable
PREFERENCE = ("colab_secret", "env", "hf_auth_login", "login", "getpass")
NEVER = ("literal",)


@exercise("01.2", "토큰을 건네는 방법의 순서")
def check_source_order(answer, choices=None):
    """Check a list of keys of ``choices`` (default :data:`SOURCE_CHOICES`) in order of preference.

    The expected order is :data:`PREFERENCE` restricted to ``choices``; the keys in :data:`NEVER`
    (a token written in a cell) must be left out. Used in: 01_hub_token.
    """
    choices = dict(SOURCE_CHOICES if choices is None else choices)
    expected = [k for k in PREFERENCE if k in choices]
    ensure(isinstance(answer, (list, tuple)),
           "답은 키 문자열의 리스트예요. 예: ['키1', '키2', ...] (좋은 방법부터 차례로)")
    answer = [str(a).strip() for a in answer]
    unknown = [a for a in answer if a not in choices]
    ensure(not unknown, f"보기에 없는 키가 있어요: {unknown}. 보기의 키만 쓰세요: {list(choices)}")
    ensure(len(set(answer)) == len(answer), "같은 키가 두 번 들어 있어요.")
    for bad in NEVER:
        ensure(bad not in answer,
               "셀에 토큰을 직접 적는 방법은 목록에서 빼세요: 노트북 파일, git 기록, 공유 링크에 토큰이 남습니다.")
    missing = [k for k in expected if k not in answer]
    ensure(not missing, f"빠진 방법이 있어요: {missing}")
    if answer == expected:
        return "Colab 보안 비밀 → 환경 변수 → hf auth login → login() → getpass. 어느 것도 토큰을 셀에 남기지 않아요."
    if answer == expected[::-1]:
        raise Hint("순서가 거꾸로예요. 한 번 설정하면 코드에 아무것도 적지 않아도 되는 방법이 가장 좋아요.")
    first_wrong = next(i for i, (a, e) in enumerate(zip(answer, expected)) if a != e)
    raise Hint(
        f"{first_wrong + 1}번째 자리가 달라요. 기준: 토큰이 코드·노트북 밖에 저장되고(보안 비밀·환경 변수), "
        "매번 손이 덜 가는 방법이 앞입니다. 입력 창(getpass)은 저장되지 않아 매번 붙여 넣어야 하니 마지막이에요."
    )


# --------------------------------------------------------------------------------------------------
# 01.3 least privilege
# --------------------------------------------------------------------------------------------------
#: task -> (Korean description, writes to the Hub?, must be limited to specific repos?)
TASKS = {
    "colab_private_download": ("Colab에서 내 비공개(private) 모델을 내려받아 추론만 한다", False, False),
    "gated_download": ("접근 승인을 받은 게이트 모델(Llama 3.1)을 내려받는다", False, False),
    "push_after_training": ("수업에서 학습한 모델을 내 계정의 새 저장소에 올린다 (push_to_hub)", True, False),
    "server_reads_one_repo": ("회사 서버가 팀 조직의 모델 저장소 하나만 읽는다 (다른 저장소는 접근 금지)", False, True),
    "ci_pushes_one_repo": ("CI(자동 빌드)가 정해진 저장소 하나에만 결과를 올린다", True, True),
}
ROLES = ("read", "write", "fine-grained")
_ROLE_ALIASES = {
    "read": "read", "읽기": "read",
    "write": "write", "쓰기": "write",
    "fine-grained": "fine-grained", "fine_grained": "fine-grained", "finegrained": "fine-grained",
    "fine grained": "fine-grained", "세분화": "fine-grained",
}


def least_privilege_role(task: str) -> str:
    """The least-privilege token role for a task of :data:`TASKS`: ``fine-grained`` when the token
    must be limited to specific repos, else ``write`` when it writes, else ``read``. Used in: 01_hub_token."""
    if task not in TASKS:
        from ..errors import HflabError

        raise HflabError(f"알 수 없는 작업 '{task}'입니다.", fix=f"다음 중 하나를 쓰세요: {list(TASKS)}")
    _, writes, scoped = TASKS[task]
    return "fine-grained" if scoped else ("write" if writes else "read")


def _role(value) -> str | None:
    key = str(value).strip().lower().replace("‐", "-")
    return _ROLE_ALIASES.get(key) or ("fine-grained" if key == "finegrained" else None)


@exercise("01.3", "작업에 맞는 토큰 종류 (최소 권한)")
def check_token_roles(answer, tasks=tuple(TASKS)):
    """Check a dict {task: role} (role: 'read' | 'write' | 'fine-grained') against
    :func:`least_privilege_role`. Used in: 01_hub_token."""
    ensure(isinstance(answer, dict), "답은 {작업 키: 'read' | 'write' | 'fine-grained'} 형태의 딕셔너리(dict)예요.")
    for task in tasks:
        ensure(task in answer, f"'{task}' 작업의 답이 없어요.")
    for task in tasks:
        got = _role(answer[task])
        ensure(got is not None, f"'{task}': 토큰 종류는 'read', 'write', 'fine-grained' 중 하나로 쓰세요.")
        want = least_privilege_role(task)
        if got == want:
            continue
        desc, writes, scoped = TASKS[task]
        if scoped:
            raise Hint(f"'{task}' ({desc}): 저장소 하나로 범위를 좁혀야 해요. read/write 토큰은 계정의 모든 저장소에 통해요.")
        if got == "write" and not writes:
            raise Hint(f"'{task}' ({desc}): 읽기만 하는 일에 write 토큰은 과해요. 유출되면 저장소를 지우거나 바꿀 수 있어요 (최소 권한).")
        if got == "read" and writes:
            raise Hint(f"'{task}' ({desc}): 올리기(저장소 생성·업로드)에는 쓰기 권한이 필요해요.")
        raise Hint(f"'{task}' ({desc}): 특정 저장소로 좁힐 필요가 없는 개인 작업이에요. read와 write 중에서 고르세요.")
    return "필요한 만큼만: 읽기는 read, 올리기는 write, 범위를 저장소 단위로 좁혀야 하면 fine-grained."


# --------------------------------------------------------------------------------------------------
# 01.4 which file holds what
# --------------------------------------------------------------------------------------------------
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf", ".h5", ".msgpack", ".onnx")


def repo_file_roles(folder) -> dict[str, list[str]]:
    """The files of a model folder that hold the weights and the label mapping (``id2label``).

    Reads the files: weights are files with a weight suffix (or a safetensors index), labels are JSON
    files whose top level has a non-empty ``id2label``. Used in: 01_hub_token.
    """
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and ".cache" not in p.relative_to(folder).parts)
    weights, labels = [], []
    for p in files:
        rel = p.relative_to(folder).as_posix()
        if p.name.endswith(WEIGHT_SUFFIXES):
            weights.append(rel)
        elif p.suffix == ".json":
            try:
                data = json.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and data.get("id2label"):
                labels.append(rel)
    return {"weights": weights, "labels": labels, "files": [p.relative_to(folder).as_posix() for p in files]}


@exercise("01.4", "가중치와 라벨 이름은 어느 파일에?")
def check_repo_files(answer, folder):
    """Check {"weights": file, "labels": file} against the files actually in ``folder``.

    Used in: 01_hub_token.
    """
    roles = repo_file_roles(folder)
    ensure(isinstance(answer, dict) and {"weights", "labels"} <= set(answer),
           "답은 {'weights': 파일 이름, 'labels': 파일 이름} 형태의 딕셔너리예요.")
    w, l = str(answer["weights"]).strip().lstrip("./"), str(answer["labels"]).strip().lstrip("./")
    for name in (w, l):
        if name not in roles["files"]:
            close = [f for f in roles["files"] if Path(f).name == Path(name).name]
            if close:
                raise Hint(f"'{name}' 대신 폴더 안의 경로 그대로 쓰세요: {close[0]}")
            raise Hint(f"'{name}'은(는) 이 폴더에 없어요. 폴더의 실제 파일 목록(os.listdir 또는 list_repo_files)을 보세요.")
    if w not in roles["weights"]:
        if w == l or w.endswith(".json"):
            raise Hint("JSON 파일은 설정이나 어휘 같은 글자 정보예요. 가중치는 크기가 가장 큰 이진 파일(.safetensors / .bin)에 있어요.")
        raise Hint(f"'{w}'에는 가중치가 없어요. 확장자가 .safetensors(또는 옛 형식 .bin)인 파일을 찾으세요.")
    if l not in roles["labels"]:
        if l.startswith("tokenizer"):
            raise Hint(f"'{l}'은(는) 토큰 ↔ 번호 사전이에요. 라벨 번호 ↔ 이름(id2label)은 모델 설정 파일에 있어요.")
        raise Hint(f"'{l}'에는 id2label이 없어요. JSON 파일을 열어 id2label 키가 있는 파일을 찾으세요.")
    return f"가중치 {w}, 라벨 이름(id2label) {l}. 파일을 열어 확인하는 습관이 가장 정확해요."


# --------------------------------------------------------------------------------------------------
# 01.5 parameters from a safetensors header
# --------------------------------------------------------------------------------------------------
def safetensors_counts(path) -> dict:
    """Tensors, total elements and data bytes of a safetensors file, read from its header only.

    Used in: 01_hub_token.
    """
    from safetensors import safe_open

    n_tensors, n_elements = 0, 0
    with safe_open(str(path), framework="pt") as f:
        for name in f.keys():
            shape = f.get_slice(name).get_shape()
            n_tensors += 1
            n_elements += math.prod(shape)
    with open(path, "rb") as fh:
        header_len = int.from_bytes(fh.read(8), "little")
    return {"tensors": n_tensors, "elements": n_elements, "data_bytes": Path(path).stat().st_size - 8 - header_len}


@exercise("01.5", "safetensors 헤더로 파라미터 세기")
def check_safetensors_params(answer, path):
    """Check the number of elements stored in a safetensors file (sum over tensors of the product of
    the shape), computed from the file's own header. Used in: 01_hub_token."""
    counts = safetensors_counts(path)
    value = as_number(answer, "answer")
    if value == counts["elements"]:
        return f"텐서 {counts['tensors']}개, 원소 {counts['elements']:,}개 (데이터 {counts['data_bytes']:,} 바이트)."
    if value == counts["tensors"]:
        raise Hint("텐서의 개수를 셌어요. 텐서마다 shape의 원소를 모두 곱한 값(math.prod)을 더하세요.")
    if value in (counts["data_bytes"], counts["data_bytes"] + 8) or value == Path(path).stat().st_size:
        raise Hint("바이트 수예요. 바이트 수는 dtype에 따라 다르니, shape를 곱해 원소 수를 세세요.")
    ratio = value / counts["elements"] if counts["elements"] else float("inf")
    raise Hint(f"원소 수가 {'많아요' if ratio > 1 else '적어요'} (약 {ratio:.3g}배). "
               "safe_open(...)의 keys() 전부에 대해 get_slice(name).get_shape()를 곱해 더했는지 확인하세요.")


# --------------------------------------------------------------------------------------------------
def examples() -> list[Example]:
    """Right and wrong answers for the tests (inputs built here, offline, in build/exercise_examples/)."""
    import shutil

    import torch
    from safetensors.torch import save_file

    from ..auth import mask_token
    from ..course import build_dir

    tok = fake_token(7)
    folder = build_dir() / "exercise_examples" / LESSON   # not the system temp dir: nothing is left behind there
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model_type": "bert", "id2label": {"0": "부정", "1": "긍정"}}))
    (folder / "tokenizer.json").write_text(json.dumps({"model": {"type": "WordPiece", "vocab": {"[PAD]": 0}}}))
    (folder / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 512}))
    (folder / "README.md").write_text("---\nlicense: apache-2.0\n---\n# 연습\n", encoding="utf-8")
    save_file({"a.weight": torch.zeros(3, 4), "b.bias": torch.zeros(5)}, str(folder / "model.safetensors"))
    st = folder / "model.safetensors"
    roles = {t: least_privilege_role(t) for t in TASKS}
    return [
        Example(check_mask, right=dict(answer=mask_token(tok), token=tok), wrong=[
            (dict(answer=tok, token=tok), "그대로"),
            (dict(answer=tok[:5] + "..." + tok[-2:], token=tok), "말줄임표"),
            (dict(answer=tok[:12] + "…" + tok[-2:], token=tok), "가운데"),
            (dict(answer=tok[:4] + "…" + tok[-2:], token=tok), "앞 5글자"),
            (dict(answer=tok[:5] + "…" + tok[-4:], token=tok), "끝 2글자"),
            (dict(answer=123, token=tok), "문자열"),
        ]),
        Example(check_source_order, right=dict(answer=list(PREFERENCE)), wrong=[
            (dict(answer=list(PREFERENCE) + ["literal"]), "빼세요"),
            (dict(answer=list(PREFERENCE)[::-1]), "거꾸로"),
            (dict(answer=["env", "colab_secret", "hf_auth_login", "login", "getpass"]), "1번째"),
            (dict(answer=["colab_secret", "env"]), "빠진"),
            (dict(answer=["colab", "env", "hf_auth_login", "login", "getpass"]), "보기에 없는"),
            (dict(answer="colab_secret"), "리스트"),
        ]),
        Example(check_token_roles, right=dict(answer=roles), wrong=[
            (dict(answer={**roles, "colab_private_download": "write"}), "최소 권한"),
            (dict(answer={**roles, "push_after_training": "read"}), "쓰기 권한"),
            (dict(answer={**roles, "server_reads_one_repo": "read"}), "범위"),
            (dict(answer={**roles, "gated_download": "fine-grained"}), "read와 write"),
            (dict(answer={**roles, "ci_pushes_one_repo": "admin"}), "중 하나"),
            (dict(answer={"gated_download": "read"}), "답이 없어요"),
        ]),
        Example(check_repo_files, right=dict(answer={"weights": "model.safetensors", "labels": "config.json"},
                                             folder=folder), wrong=[
            (dict(answer={"weights": "config.json", "labels": "config.json"}, folder=folder), "이진 파일"),
            (dict(answer={"weights": "model.safetensors", "labels": "tokenizer.json"}, folder=folder), "토큰 ↔ 번호"),
            (dict(answer={"weights": "pytorch_model.bin", "labels": "config.json"}, folder=folder), "폴더에 없어요"),
            (dict(answer={"weights": "model.safetensors", "labels": "tokenizer_config.json"}, folder=folder), "토큰 ↔ 번호"),
            (dict(answer={"weights": "model.safetensors", "labels": "README.md"}, folder=folder), "id2label"),
            (dict(answer="config.json", folder=folder), "딕셔너리"),
        ]),
        Example(check_safetensors_params, right=dict(answer=17, path=st), wrong=[
            (dict(answer=2, path=st), "텐서의 개수"),
            (dict(answer=68, path=st), "바이트"),
            (dict(answer=34, path=st), "많아요"),
            (dict(answer="17", path=st), "문자열"),
        ]),
    ]
