"""Warm-up checkers for lesson 00 (setup): GPU memory arithmetic for a Colab T4.

Used in: 00_setup.
"""
from __future__ import annotations

from .. import memory
from . import Example, Hint, as_number, ensure, exercise, is_close

LESSON = "00_setup"

_ALIASES = {
    "fp32": "float32", "float": "float32", "float32": "float32",
    "fp16": "float16", "half": "float16", "float16": "float16",
    "bf16": "bfloat16", "bfloat16": "bfloat16",
    "int8": "int8", "8bit": "int8", "8-bit": "int8",
    "4bit": "4bit", "4-bit": "4bit", "int4": "4bit", "nf4": "4bit",
}


def _dtype_name(dtype) -> str:
    name = str(dtype).replace("torch.", "").strip().lower()
    return _ALIASES.get(name, name)


@exercise("00.1", "가중치 메모리 계산")
def check_param_memory(answer_gb, n_params, dtype="float16"):
    """Check the memory of a model's weights in GB (10^9 bytes): n_params x bytes per param.

    The expectation comes from :func:`hflab.memory.weights_gb` with the same inputs.
    Used in: 00_setup.
    """
    bpp = memory.bytes_per_param(_dtype_name(dtype))
    expected = memory.weights_gb(n_params, _dtype_name(dtype))
    value = as_number(answer_gb, "answer_gb")
    ensure(value > 0, "메모리는 0보다 커야 해요. 파라미터 수와 바이트 수를 곱했는지 확인하세요.")
    if is_close(value, expected):
        return f"{n_params:,.0f}개 × {bpp:g} bytes ({dtype}) = {expected:.3g} GB"

    total_bytes = n_params * bpp
    unit_mistakes = [
        (total_bytes, "바이트(byte) 수 그대로예요. GB로 바꾸려면 10^9 (1e9)으로 나누세요."),
        (total_bytes / 1e3, "KB 단위예요. GB로 바꾸려면 10^9 (1e9)으로 나누세요."),
        (total_bytes / 1e6, "MB 단위예요 (약 1,000배 커요). 1 GB = 1,000 MB이니 1,000으로 한 번 더 나누세요."),
        (total_bytes / 2**20, "MiB 단위예요 (약 1,000배 커요). 이 과정은 GB = 10^9 바이트로 계산해요."),
        (total_bytes / 2**30, "GiB(2^30 바이트)로 나눴어요. 이 과정은 GB = 10^9 (1e9) 바이트를 씁니다."),
        (total_bytes / 1e12, "TB 단위예요 (1,000배 작아요). 10^12가 아니라 10^9으로 나누세요."),
        (total_bytes * 8 / 1e9, f"비트(bit) 수를 곱했어요. {dtype}는 파라미터 하나에 {bpp * 8:g}비트, 즉 바이트로는 8로 나눈 값이에요."),
    ]
    for wrong, hint in unit_mistakes:
        if is_close(value, wrong):
            raise Hint(hint)
    if bpp != 1 and is_close(value, n_params / 1e9):
        raise Hint("파라미터 수만 GB로 바꿨어요. 파라미터 하나가 차지하는 바이트 수(dtype마다 다름)를 곱하세요.")
    for other in ("float32", "float16", "int8", "4bit"):
        other_bpp = memory.bytes_per_param(other)
        if other_bpp != bpp and is_close(value, n_params * other_bpp / 1e9):
            raise Hint(
                f"{other} 기준(파라미터당 {other_bpp:g}바이트)으로 계산했어요. 문제의 dtype은 {dtype}이에요."
            )
    ratio = value / expected
    direction = f"약 {ratio:.3g}배 커요" if ratio > 1 else f"약 {1 / ratio:.3g}배 작아요"
    raise Hint(f"답이 예상보다 {direction}. 파라미터 수 × 파라미터당 바이트 수 ÷ 10^9 순서로 다시 계산해 보세요.")


@exercise("00.2", "T4에 들어갈까?")
def check_fits_t4(answer, n_params, dtypes=("float16", "4bit"), headroom=0.8):
    """Check which dtypes let a model's weights fit a Colab T4, keeping (1-headroom) free.

    `answer` is a dict {dtype: bool} (or one bool when `dtypes` is a single dtype).
    The expectation is :func:`hflab.memory.fits_t4` of :func:`hflab.memory.weights_gb`.
    Used in: 00_setup.
    """
    single = isinstance(dtypes, str)
    names = [dtypes] if single else list(dtypes)
    limit = memory.T4_GB * headroom
    sizes = {d: memory.weights_gb(n_params, _dtype_name(d)) for d in names}
    expected = {d: memory.fits_t4(sizes[d], headroom=headroom) for d in names}

    if single and not isinstance(answer, dict):
        answer = {names[0]: answer}
    if not isinstance(answer, dict):
        keys = ", ".join(f"'{d}': True/False" for d in names)
        raise Hint(f"dtype마다 답해 주세요: {{{keys}}} 형태의 딕셔너리(dict)예요.")
    given = {_dtype_name(k): v for k, v in answer.items()}
    for d in names:
        ensure(_dtype_name(d) in given, f"'{d}'에 대한 답이 없어요. 딕셔너리에 '{d}' 키를 넣으세요.")
    for d in names:
        v = given[_dtype_name(d)]
        if type(v).__name__ not in ("bool", "bool_") and not (hasattr(v, "dtype") and "bool" in str(v.dtype)):
            raise Hint(
                f"'{d}'의 값은 True/False여야 해요 (메모리 숫자가 아니라 '들어가는지' 여부). "
                "비교 연산자 <= 를 쓰면 True/False가 나와요."
            )
    for d in names:
        got = bool(given[_dtype_name(d)])
        if got == expected[d]:
            continue
        if got == (sizes[d] <= memory.T4_GB):
            raise Hint(
                f"'{d}': 가중치만 {memory.T4_GB:g} GB 전체와 비교했어요. 활성화·KV 캐시·CUDA 컨텍스트 몫으로 "
                f"{1 - headroom:.0%}를 남겨 두세요 ({memory.T4_GB:g} GB × {headroom:g} = {limit:g} GB와 비교)."
            )
        raise Hint(
            f"'{d}'의 답이 틀렸어요. 파라미터 수 × {d}의 파라미터당 바이트 수로 가중치 GB를 구한 뒤 "
            f"{limit:g} GB ({memory.T4_GB:g} GB × {headroom:g})와 비교해 보세요."
        )
    parts = [f"{d}: {sizes[d]:.3g} GB → {'들어가요' if expected[d] else '안 들어가요'}" for d in names]
    return f"{', '.join(parts)} (기준 {limit:g} GB)"


def examples() -> list[Example]:
    """Right and wrong answers for the tests (computed from the same inputs as the checkers)."""
    n = 135_000_000  # SmolLM2-135M
    fp16 = n * 2 / 1e9
    big = 7_000_000_000
    fits = {"float16": big * 2 / 1e9 <= 15 * 0.8, "4bit": big * 0.5 / 1e9 <= 15 * 0.8}
    return [
        Example(
            check_param_memory,
            right=dict(answer_gb=fp16, n_params=n, dtype="float16"),
            wrong=[
                (dict(answer_gb=fp16 * 1e3, n_params=n, dtype="float16"), "MB"),
                (dict(answer_gb=n * 2 / 2**30, n_params=n, dtype="float16"), "GiB"),
                (dict(answer_gb=n * 16 / 1e9, n_params=n, dtype="float16"), "비트"),
                (dict(answer_gb=n / 1e9, n_params=n, dtype="float16"), "바이트 수"),
                (dict(answer_gb=n * 4 / 1e9, n_params=n, dtype="float16"), "float32"),
                (dict(answer_gb="0.27", n_params=n, dtype="float16"), "문자열"),
                (dict(answer_gb=None, n_params=n, dtype="float16"), "비어"),
                (dict(answer_gb=fp16 * 3.3, n_params=n, dtype="float16"), "배 커요"),
            ],
        ),
        Example(
            check_fits_t4,
            right=dict(answer=fits, n_params=big),
            wrong=[
                (dict(answer={"float16": True, "4bit": True}, n_params=big), "20%"),
                (dict(answer={"float16": False, "4bit": False}, n_params=big), "'4bit'"),
                (dict(answer={"float16": False}, n_params=big), "'4bit'에 대한 답이 없어요"),
                (dict(answer=True, n_params=big), "딕셔너리"),
                (dict(answer={"fp16": 14.0, "4bit": 3.5}, n_params=big), "True/False"),
            ],
        ),
    ]
