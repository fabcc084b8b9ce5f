"""Runs INSIDE the student's kernel while ``hflab grade`` grades: hands values to the grader.

After an exercise cell the grader asks this module to evaluate the checker call's argument
expressions (taken from the course's own notebook, not from the submission) and to write them
as tagged JSON, with tokenizers / models / datasets saved as files next to it. Nothing here is
trusted: the student's code can patch this module, and the grader only ever *decodes* what it
wrote (hflab.grading.transport), never unpickles or executes it.

Only the standard library is imported at module level; a library type is recognised by the
names in its class hierarchy, so encoding a plain answer imports nothing heavy.
"""
from __future__ import annotations

import base64
import dataclasses
import functools
import json
import math
import os
import pickle
import types

_REFS: dict[int, object] = {}  # callables handed to the grader, by reference number
_INLINE_BYTES = 1 << 20  # larger arrays go to .npy files
_MAX_DEPTH = 40
_MAX_NODES = 2_000_000


def _names(obj) -> set[str]:
    return {f"{c.__module__}.{c.__qualname__}" for c in type(obj).__mro__}


class _Encoder:
    def __init__(self, folder: str):
        self.folder = folder
        self.count = 0
        self.nodes = 0
        self.memo: dict[int, dict] = {}

    def _artifact(self, kind: str) -> str:
        self.count += 1
        return f"{kind}-{self.count}"

    def encode(self, v, depth: int = 0):
        self.nodes += 1
        if depth > _MAX_DEPTH or self.nodes > _MAX_NODES:
            raise ValueError("답이 너무 깊거나 커요")
        if v is None or type(v) in (bool, str, int):
            return v
        if isinstance(v, bool):
            return bool(v)
        if isinstance(v, int):
            return int(v)
        if isinstance(v, str):
            return str(v)
        if isinstance(v, float):
            return float(v) if math.isfinite(v) else {"$": "float", "v": repr(float(v))}
        if isinstance(v, (bytes, bytearray)):
            return {"$": "bytes", "b64": base64.b64encode(bytes(v)).decode()}
        if id(v) in self.memo:
            return self.memo[id(v)]
        out = self._rich(v, depth)
        if isinstance(out, dict) and out.get("$") in ("tokenizer", "model", "dataset", "function"):
            self.memo[id(v)] = out
        return out

    def _rich(self, v, depth):
        names = _names(v)
        enc = functools.partial(self.encode, depth=depth + 1)
        if isinstance(v, type):
            return {"$": "class", "module": v.__module__, "name": v.__qualname__}
        if "torch.Tensor" in names:
            return self._array(v, torch=True)
        if "numpy.ndarray" in names or "numpy.generic" in names:
            return self._array(v, torch=False)
        if isinstance(v, os.PathLike):
            return {"$": "path", "v": os.fspath(v)}
        if "transformers.tokenization_utils_base.PreTrainedTokenizerBase" in names:
            name = self._artifact("tokenizer")
            v.save_pretrained(os.path.join(self.folder, name))
            return {"$": "tokenizer", "dir": name}
        if "transformers.modeling_utils.PreTrainedModel" in names:
            name = self._artifact("model")
            v.save_pretrained(os.path.join(self.folder, name))
            return {"$": "model", "dir": name, "module": type(v).__module__, "name": type(v).__qualname__,
                    "dtype": str(v.dtype).replace("torch.", "")}
        if "torch.nn.modules.module.Module" in names:
            return self._module(v, depth)
        if "datasets.arrow_dataset.Dataset" in names or "datasets.dataset_dict.DatasetDict" in names:
            name = self._artifact("dataset")
            v.save_to_disk(os.path.join(self.folder, name))
            return {"$": "dataset", "dir": name}
        if "transformers.generation.configuration_utils.GenerationConfig" in names:
            return {"$": "generation_config", "v": enc(v.to_dict())}
        if "transformers.training_args.TrainingArguments" in names:
            return {"$": "training_args", "v": enc(v.to_dict())}
        if "transformers.tokenization_utils_base.BatchEncoding" in names:
            return {"$": "batch", "v": enc(dict(v))}
        if dataclasses.is_dataclass(v):
            fields = {f.name: enc(getattr(v, f.name)) for f in dataclasses.fields(v) if f.init and hasattr(v, f.name)}
            return {"$": "dataclass", "module": type(v).__module__, "name": type(v).__qualname__, "fields": fields}
        if isinstance(v, list):
            return [enc(x) for x in v]
        if isinstance(v, tuple):
            return {"$": "tuple", "v": [enc(x) for x in v]}
        if isinstance(v, (set, frozenset)):
            return {"$": "frozenset" if isinstance(v, frozenset) else "set", "v": [enc(x) for x in v]}
        if isinstance(v, dict) or hasattr(v, "items") and hasattr(v, "keys"):
            return {"$": "dict", "v": [[enc(k), enc(x)] for k, x in v.items()]}
        if isinstance(v, range):
            return [enc(x) for x in v]
        if isinstance(v, (types.FunctionType, types.MethodType, types.BuiltinFunctionType, functools.partial)):
            ref = len(_REFS) + 1
            _REFS[ref] = v
            return {"$": "function", "ref": ref, "name": str(getattr(v, "__name__", "함수"))}
        raise TypeError(type(v).__name__)

    def _array(self, v, torch: bool):
        dtype = None
        if torch:
            v = v.detach().cpu()
            dtype = str(v.dtype).replace("torch.", "")
            if dtype not in ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"):
                v = v.float()  # bfloat16, float8 ...: the values as float32, the dtype by name
            v = v.numpy()
        import numpy as np

        arr = np.ascontiguousarray(np.asarray(v))
        if arr.dtype.hasobject:
            raise TypeError("object 배열")
        head = {"$": "tensor" if torch else ("ndarray" if isinstance(v, np.ndarray) else "npscalar"),
                "dtype": arr.dtype.str, "shape": list(arr.shape), "torch_dtype": dtype}
        if arr.nbytes <= _INLINE_BYTES:
            head["b64"] = base64.b64encode(arr.tobytes()).decode()
        else:
            name = self._artifact("array") + ".npy"
            np.save(os.path.join(self.folder, name), arr, allow_pickle=False)
            head["file"] = name
        return head

    def _module(self, m, depth):
        """A torch module as a skeleton: class names, Linear shapes, scalar attributes, children."""
        if depth > _MAX_DEPTH:
            raise ValueError("모듈이 너무 깊어요")
        attrs = {k: a for k, a in vars(m).items()
                 if not k.startswith("_") and k != "training" and (a is None or type(a) in (bool, int, float, str))}
        node = {"$": "module", "name": type(m).__name__, "attrs": attrs,
                "linear": "torch.nn.modules.linear.Linear" in _names(m),
                "children": [[n, self._module(c, depth + 1)] for n, c in m.named_children()]}
        if node["linear"]:
            node["bias"] = getattr(m, "bias", None) is not None
        return node


def _write(payload: dict, out_path: str) -> None:
    tmp = out_path + ".part"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(payload, f, ensure_ascii=False, allow_nan=False)
    os.replace(tmp, out_path)


def _encode_into(result: dict, key: str, value, encoder: _Encoder) -> None:
    try:
        result[key] = {"value": encoder.encode(value)}
    except Exception as e:
        result[key] = {"unsupported": f"{type(value).__name__} ({type(e).__name__}: {e})"[:300]}


def capture(exprs: dict, out_path: str, ns: dict) -> None:
    """Evaluate each expression in the notebook namespace `ns` and write the encoded values."""
    folder = os.path.dirname(out_path)
    encoder = _Encoder(folder)
    result: dict = {}
    for key, expr in exprs.items():
        try:
            value = eval(expr, ns)  # the expression comes from the course's own notebook
        except NameError as e:
            result[key] = {"missing": str(e)[:300]}
            continue
        except BaseException as e:
            result[key] = {"error": f"{type(e).__name__}: {e}"[:300]}
            continue
        _encode_into(result, key, value, encoder)
    _write(result, out_path)


def call(ref: int, in_path: str, out_path: str) -> None:
    """Call a callable handed out by capture() with the grader's (pickled) arguments."""
    with open(in_path, "rb") as f:
        args, kwargs = pickle.load(f)  # written by the grader: the kernel may trust it
    result: dict = {}
    try:
        value = _REFS[ref](*args, **kwargs)
    except BaseException as e:
        result["result"] = {"error": f"{type(e).__name__}: {e}"[:300]}
    else:
        _encode_into(result, "result", value, _Encoder(os.path.dirname(out_path)))
    _write(result, out_path)


def forget(names: list, ns: dict) -> None:
    """Remove the answer variables before an exercise cell, so a stale answer never counts."""
    for n in names:
        ns.pop(n, None)
