"""GPU memory arithmetic: parameters x bytes per parameter.

Used in: 00_setup, 05_generation_chat, 09_peft (and the T4 notes of every lesson's
default parameters).
"""
from __future__ import annotations

from .errors import HflabError

#: bytes one parameter takes in each storage dtype (4-bit packs two weights per byte)
BYTES_PER_PARAM = {
    "float32": 4.0,
    "fp32": 4.0,
    "float16": 2.0,
    "fp16": 2.0,
    "bfloat16": 2.0,
    "bf16": 2.0,
    "int8": 1.0,
    "8bit": 1.0,
    "int4": 0.5,
    "4bit": 0.5,
    "nf4": 0.5,
}

#: usable memory of a Colab T4 (15 GB card, ~0.5 GB kept by the CUDA context)
T4_GB = 15.0


def bytes_per_param(dtype) -> float:
    """Bytes per parameter for a dtype name or a torch dtype.

    Used in: 00_setup, 05_generation_chat, 09_peft.
    """
    name = str(dtype).replace("torch.", "").lower()
    if name not in BYTES_PER_PARAM:
        raise HflabError(
            f"알 수 없는 dtype입니다: {dtype!r}.",
            fix=f"다음 중 하나를 쓰세요: {', '.join(sorted(BYTES_PER_PARAM))}",
        )
    return BYTES_PER_PARAM[name]


def weights_gb(n_params: float, dtype) -> float:
    """Memory of the weights alone in GB (10^9 bytes): n_params x bytes_per_param(dtype).

    Used in: 00_setup, 05_generation_chat, 09_peft.
    """
    if n_params is None or n_params <= 0:
        raise HflabError("파라미터 수는 0보다 커야 합니다.", fix="예: weights_gb(135e6, 'float16')")
    return n_params * bytes_per_param(dtype) / 1e9


def full_finetune_gb(n_params: float, dtype="float32", optimizer_states: int = 2) -> float:
    """Weights + gradients + Adam states (two fp32 tensors per parameter), in GB.

    Activations come on top and depend on batch size and sequence length.
    Used in: 09_peft.
    """
    w = weights_gb(n_params, dtype)
    grads = weights_gb(n_params, dtype)
    states = optimizer_states * weights_gb(n_params, "float32")
    return w + grads + states


def fits_t4(gb: float, headroom: float = 0.8) -> bool:
    """True when `gb` fits in a T4 leaving (1-headroom) for activations and the CUDA context.

    Used in: 00_setup, 05_generation_chat.
    """
    return gb <= T4_GB * headroom
