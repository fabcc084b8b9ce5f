"""fill-mask."""
from __future__ import annotations

from ..errors import RequestError, _bad, _short
from ..params import _check_unknown, _int_param
from .base import Engine, Job


class FillMaskEngine(Engine):
    """fill-mask: ``[{"score", "token", "token_str", "sequence"}, ...]`` for an input with one mask token."""

    task = "fill-mask"
    model_class = "AutoModelForMaskedLM"
    PARAMS = {"top_k", "targets"}

    def parse(self, body: dict) -> Job:
        params = body.get("parameters") or {}
        if not isinstance(params, dict):
            raise _bad("'parameters' 는 객체(dict)여야 합니다.", "'parameters' must be an object", 400)
        _check_unknown(params, self.PARAMS, self.task)
        texts, single = self._texts(body.get("inputs"))
        mask = self.tokenizer.mask_token
        for t in texts:
            if t.count(mask) != 1:
                raise _bad(f"입력에 마스크 토큰 {mask} 이 정확히 한 번 있어야 합니다 (지금 {t.count(mask)}번).",
                           f"the input must contain the mask token {mask} exactly once", 422, error_type="validation")
        top_k = _int_param(params, "top_k", 1, 100, 5)
        targets = params.get("targets")
        target_ids = None
        if targets is not None:
            if isinstance(targets, str):
                targets = [targets]
            if not isinstance(targets, list) or not targets or not all(isinstance(x, str) and x for x in targets):
                raise _bad("'targets' 는 비어 있지 않은 문자열 리스트여야 합니다.", "'targets' must be a list of strings",
                           422, error_type="validation")
            if len(targets) > 100 or any(len(x) > 100 for x in targets):
                raise _bad("'targets' 는 100개, 하나에 100자까지입니다.", "at most 100 targets of at most 100 characters",
                           422, error_type="validation")
            target_ids = []
            for word in targets:
                ids = self.parse_tokenizer(word, add_special_tokens=False)["input_ids"]
                if not ids:
                    raise _bad(f"target {_short(word)} 를 토큰으로 바꿀 수 없습니다.", f"target {_short(word)} has no token", 422,
                               error_type="validation")
                target_ids.append(ids[0])
            target_ids = sorted(set(target_ids))
        return Job("fill", texts, {"top_k": top_k, "target_ids": target_ids}, single=single, group="fill")

    def run(self, jobs, max_batch):
        import torch

        texts = [t for j in jobs for t in j.items]
        params = [j.params for j in jobs for _ in j.items]
        tok = self.tokenizer
        results: list = [None] * len(texts)
        with torch.inference_mode():
            for idx, enc in self._batches(texts, max_batch):
                logits = self.model(**enc).logits.float()
                for k, i in enumerate(idx):
                    p = params[i]
                    ids = enc["input_ids"][k]
                    pos = (ids == tok.mask_token_id).nonzero()
                    if len(pos) == 0:  # the mask was cut by truncation
                        results[i] = _bad("마스크 토큰이 최대 길이 밖에서 잘렸습니다. 입력을 줄이세요.",
                                          "the mask token was truncated away", 422, error_type="validation")
                        continue
                    probs = logits[k, int(pos[0])].softmax(-1)
                    if p["target_ids"]:
                        cand = torch.tensor(p["target_ids"])
                        scores = probs[cand]
                        order = scores.argsort(descending=True)[: p["top_k"]]
                        picked = [(int(cand[j]), float(scores[j])) for j in order]
                    else:
                        top = probs.topk(p["top_k"])
                        picked = [(int(j), float(v)) for v, j in zip(top.values, top.indices)]
                    rows = []
                    real = ids[enc["attention_mask"][k].bool()].tolist()
                    at = real.index(tok.mask_token_id)
                    for tid, score in picked:
                        filled = list(real)
                        filled[at] = tid
                        rows.append({"score": score, "token": tid, "token_str": tok.decode([tid]).strip(),
                                     "sequence": tok.decode(filled, skip_special_tokens=True)})
                    results[i] = rows
        out, pos = [], 0
        for job in jobs:
            part = results[pos:pos + job.size]
            pos += job.size
            errs = [r for r in part if isinstance(r, RequestError)]
            out.append(errs[0] if errs else (part[0] if job.single else part))
        return out
