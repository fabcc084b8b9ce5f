"""text-classification."""
from __future__ import annotations

from ..errors import _bad, _short
from ..params import _check_unknown, _int_param
from .base import Engine, Job


class ClassifierEngine(Engine):
    """text-classification: ``[[{"label", "score"}, ...]]`` per input, all labels sorted by score (``top_k`` cuts)."""

    task = "text-classification"
    model_class = "AutoModelForSequenceClassification"
    PARAMS = {"top_k", "function_to_apply"}

    def parse(self, body: dict) -> Job:
        _check_unknown({k: v for k, v in body.items() if k not in ("inputs", "parameters", "options")},
                       set(), self.task, "최상위(top-level)")
        params = body.get("parameters") or {}
        if not isinstance(params, dict):
            raise _bad("'parameters' 는 객체(dict)여야 합니다.", "'parameters' must be an object", 400)
        _check_unknown(params, self.PARAMS, self.task)
        texts, single = self._texts(body.get("inputs"))
        n_labels = len(self.model.config.id2label) if self.model is not None else 10**6
        top_k = _int_param(params, "top_k", 1, max(1, n_labels))
        fn = params.get("function_to_apply")
        if fn is not None and fn not in ("softmax", "sigmoid", "none"):
            raise _bad(f"'function_to_apply' 는 softmax, sigmoid, none 중 하나입니다 (지금 {_short(fn)}).",
                       "'function_to_apply' must be softmax, sigmoid or none", 422, error_type="validation")
        return Job("classify", texts, {"top_k": top_k, "function_to_apply": fn}, single=single, group="classify")

    def run(self, jobs, max_batch):
        import torch

        texts = [t for j in jobs for t in j.items]
        params = [j.params for j in jobs for _ in j.items]
        id2label = self.model.config.id2label
        multi = getattr(self.model.config, "problem_type", None) == "multi_label_classification"
        results: list = [None] * len(texts)
        with torch.inference_mode():
            for idx, enc in self._batches(texts, max_batch):
                logits = self.model(**enc).logits.float().cpu()
                for i, row in zip(idx, logits):
                    p = params[i]
                    fn = p["function_to_apply"] or ("sigmoid" if multi or row.numel() == 1 else "softmax")
                    scores = row.softmax(-1) if fn == "softmax" else row.sigmoid() if fn == "sigmoid" else row
                    ranked = sorted(((id2label.get(k, str(k)), float(v)) for k, v in enumerate(scores.tolist())),
                                    key=lambda x: -x[1])
                    if p["top_k"]:
                        ranked = ranked[: p["top_k"]]
                    results[i] = [{"label": lab, "score": sc} for lab, sc in ranked]
        out, pos = [], 0
        for job in jobs:  # always a list of lists: the client reads [0] for one string
            out.append(results[pos:pos + job.size])
            pos += job.size
        return out
