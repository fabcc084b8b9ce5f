"""Grader side of the hand-over: decode what hflab.grading._kernel wrote in the student's kernel.

What comes back is untrusted data. It is decoded, never unpickled or executed: plain values,
arrays rebuilt from raw bytes (numpy, ``allow_pickle=False``), tokenizers / models / datasets
loaded from the files the kernel saved (safetensors, JSON, Arrow; no remote code), torch
modules as skeletons (class names, Linear shapes), dataclasses and classes only from the
course's libraries, and the learner's functions as :class:`RemoteFunction` proxies that run
*in the student's kernel* when a checker calls them.

Used in: hflab.grading.grader (after every exercise cell of a submission).
"""
from __future__ import annotations

import base64
import dataclasses
import importlib
import json
from pathlib import Path
from typing import Callable

#: modules whose classes and dataclasses may be named in an answer
_CLASS_MODULES = ("builtins", "collections", "transformers", "huggingface_hub", "datasets", "torch", "hflab", "peft")
_DATACLASS_MODULES = ("hflab.", "huggingface_hub.", "transformers.data.data_collator")
_DTYPES = {"|b1", "|u1", "|i1", "<i2", "<i4", "<i8", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8", "<c8", "<c16"}
MAX_PAYLOAD_BYTES = 256 << 20


class TransportError(Exception):
    """A value the grader cannot take over from the kernel (Korean message)."""


class RemoteError(Exception):
    """The learner's function raised (or could not be called) in the student's kernel."""


class RemoteFunction:
    """The learner's function: calling it runs it in the student's kernel, not in the grader."""

    def __init__(self, call: Callable, ref: int, name: str):
        self._call, self._ref, self.__name__ = call, ref, name

    def __call__(self, *args, **kwargs):
        return self._call(self._ref, args, kwargs)

    def __repr__(self) -> str:
        return f"<학생 함수 {self.__name__}>"


def read_payload(path: Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise TransportError("커널이 답을 넘겨주지 않았어요 (채점용 도우미가 바뀌었거나 커널이 멈췄어요).")
    if path.stat().st_size > MAX_PAYLOAD_BYTES:
        raise TransportError("답이 너무 커요 (256 MB 초과).")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise TransportError("커널이 넘겨준 답을 읽을 수 없어요.") from None
    if not isinstance(data, dict):
        raise TransportError("커널이 넘겨준 답의 형식이 달라요.")
    return data


class Decoder:
    """Turns one payload's tagged JSON into Python values; `folder` holds its saved files."""

    def __init__(self, folder: Path, remote_call: Callable | None = None):
        self.folder = Path(folder).resolve()
        self.remote_call = remote_call
        self.loaded: dict[str, object] = {}

    def _file(self, name) -> Path:
        p = (self.folder / str(name)).resolve()
        if not p.is_relative_to(self.folder) or not p.exists():
            raise TransportError("저장된 답 파일을 찾을 수 없어요.")
        return p

    def decode(self, node, depth: int = 0):
        if depth > 60:
            raise TransportError("답이 너무 깊어요.")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(x, depth + 1) for x in node]
        if not isinstance(node, dict) or not isinstance(node.get("$"), str):
            raise TransportError("답의 형식이 달라요.")
        tag = node["$"]
        handler = getattr(self, "_" + tag, None)
        if handler is None or tag.startswith("_"):
            raise TransportError(f"알 수 없는 값 종류예요: {tag[:40]}")
        try:
            return handler(node, depth + 1)
        except (TransportError, RemoteError):
            raise
        except Exception as e:
            raise TransportError(f"{tag} 값을 옮기지 못했어요 ({type(e).__name__}: {str(e)[:160]}).") from None

    def _many(self, node, depth):
        return [self.decode(x, depth) for x in node["v"]]

    def _float(self, node, depth):
        return float({"nan": "nan", "inf": "inf", "-inf": "-inf"}[str(node["v"])])

    def _bytes(self, node, depth):
        return base64.b64decode(node["b64"])

    def _tuple(self, node, depth):
        return tuple(self._many(node, depth))

    def _set(self, node, depth):
        return set(self._many(node, depth))

    def _frozenset(self, node, depth):
        return frozenset(self._many(node, depth))

    def _dict(self, node, depth):
        return {self.decode(k, depth): self.decode(v, depth) for k, v in node["v"]}

    def _path(self, node, depth):
        return Path(str(node["v"]))

    def _array(self, node):
        import numpy as np

        if node["dtype"] not in _DTYPES:
            raise TransportError(f"배열 자료형 {node['dtype']!r}은(는) 옮길 수 없어요.")
        shape = tuple(int(s) for s in node["shape"])
        if "file" in node:
            arr = np.load(self._file(node["file"]), allow_pickle=False)
        else:
            arr = np.frombuffer(base64.b64decode(node["b64"]), dtype=np.dtype(node["dtype"])).copy()
        return arr.reshape(shape)

    def _ndarray(self, node, depth):
        return self._array(node)

    def _npscalar(self, node, depth):
        return self._array(node)[()]

    def _tensor(self, node, depth):
        import torch

        t = torch.from_numpy(self._array(node))
        name = node.get("torch_dtype")
        dtype = getattr(torch, str(name), None) if name else None
        return t.to(dtype) if isinstance(dtype, torch.dtype) else t

    def _class(self, node, depth):
        return _named_class(node["module"], node["name"])

    def _tokenizer(self, node, depth):
        from transformers import AutoTokenizer

        key = "tok:" + str(node["dir"])
        if key not in self.loaded:
            self.loaded[key] = AutoTokenizer.from_pretrained(str(self._file(node["dir"])), local_files_only=True,
                                                             trust_remote_code=False)
        return self.loaded[key]

    def _model(self, node, depth):
        import torch
        from transformers import AutoModel, PreTrainedModel

        key = "model:" + str(node["dir"])
        if key not in self.loaded:
            try:
                cls = _named_class(node["module"], node["name"])
            except TransportError:
                cls = AutoModel
            if not (isinstance(cls, type) and issubclass(cls, PreTrainedModel)):
                cls = AutoModel
            dtype = getattr(torch, str(node.get("dtype")), None)
            kwargs = {"dtype": dtype} if isinstance(dtype, torch.dtype) else {}
            model = cls.from_pretrained(str(self._file(node["dir"])), local_files_only=True, trust_remote_code=False,
                                        use_safetensors=True, **kwargs)
            self.loaded[key] = model.eval()
        return self.loaded[key]

    def _module(self, node, depth):
        return _skeleton(node, depth)

    def _dataset(self, node, depth):
        from datasets import load_from_disk

        key = "ds:" + str(node["dir"])
        if key not in self.loaded:
            self.loaded[key] = load_from_disk(str(self._file(node["dir"])))
        return self.loaded[key]

    def _generation_config(self, node, depth):
        from transformers import GenerationConfig

        return GenerationConfig.from_dict(self.decode(node["v"], depth))

    def _training_args(self, node, depth):
        from transformers import TrainingArguments

        values = self.decode(node["v"], depth)
        init = {f.name for f in dataclasses.fields(TrainingArguments) if f.init}
        return TrainingArguments(**{k: v for k, v in values.items() if k in init})

    def _batch(self, node, depth):
        from transformers import BatchEncoding

        return BatchEncoding(self.decode(node["v"], depth))

    def _dataclass(self, node, depth):
        module = str(node["module"])
        if not module.startswith(_DATACLASS_MODULES):
            raise TransportError(f"{node['name']} 객체는 옮길 수 없어요.")
        cls = _named_class(module, node["name"])
        if not dataclasses.is_dataclass(cls):
            raise TransportError(f"{node['name']}은(는) dataclass가 아니에요.")
        fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
        values = {k: self.decode(v, depth) for k, v in node["fields"].items() if k in fields}
        if cls.__name__ == "CommitOperationAdd":
            values["path_or_fileobj"] = b""  # the checker reads path_in_repo only; never open the learner's path
        return cls(**values)

    def _function(self, node, depth):
        if self.remote_call is None:
            raise TransportError("함수는 여기서 옮길 수 없어요.")
        return RemoteFunction(self.remote_call, int(node["ref"]), str(node.get("name", "함수"))[:80])


def _named_class(module: str, qualname: str):
    module, qualname = str(module), str(qualname)
    if module.split(".")[0] not in _CLASS_MODULES or "<" in qualname:
        raise TransportError(f"{module}.{qualname} 클래스는 옮길 수 없어요.")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise TransportError(f"{qualname}은(는) 클래스가 아니에요.")
    return obj


def _skeleton(node, depth):
    """A stand-in torch module: the same class names, children, Linear shapes and scalar attributes."""
    import torch

    if depth > 200:
        raise TransportError("모듈이 너무 깊어요.")
    attrs = {k: v for k, v in dict(node.get("attrs") or {}).items()
             if isinstance(k, str) and not k.startswith("_") and (v is None or isinstance(v, (bool, int, float, str)))}
    name = str(node.get("name", "Module"))[:100] or "Module"
    if node.get("linear"):
        m = torch.nn.Linear(int(attrs["in_features"]), int(attrs["out_features"]), bias=bool(node.get("bias")),
                            device="meta")
    elif name in ("Sequential", "ModuleList", "ModuleDict"):  # containers keep indexing
        m = getattr(torch.nn, name)()
    else:
        m = type(name, (torch.nn.Module,), {})()
    for child_name, child in node.get("children") or []:
        m.add_module(str(child_name), _skeleton(child, depth + 1))
    for k, v in attrs.items():
        if k not in m._modules and not hasattr(type(m), k):
            setattr(m, k, v)
    return m
