"""feature-extraction (sentence embeddings)."""
from __future__ import annotations

from ..errors import _bad
from ..params import _bool_param, _check_unknown, _int_param
from .base import Engine, Job, _split


class EmbeddingEngine(Engine):
    """feature-extraction: mean-pooled sentence embeddings (L2-normalised unless ``normalize=false``)."""

    task = "feature-extraction"
    model_class = "AutoModel"
    PARAMS = {"normalize", "truncate", "truncation_direction", "prompt_name", "dimensions", "encoding_format"}

    def parse(self, body: dict) -> Job:
        # InferenceClient.feature_extraction sends its options at the top level (TEI style) and never a
        # "parameters" key, which every other task's call carries: a body with one is another task's call.
        if "parameters" in body:
            raise _bad(
                "이 엔드포인트는 feature-extraction(임베딩) 작업을 서비스합니다. 받은 요청에 'parameters' 가 있어 다른 "
                "작업(예: text_classification)의 호출로 보입니다. client.feature_extraction(...) 을 쓰거나, 옵션은 "
                "최상위에 두세요: {\"inputs\": ..., \"normalize\": true}.",
                "this endpoint serves feature-extraction; options go at the top level, not in 'parameters'")
        params = {k: v for k, v in body.items() if k not in ("inputs", "options")}
        _check_unknown(params, self.PARAMS, self.task)
        texts, single = self._texts(body.get("inputs"))
        normalize = _bool_param(params, "normalize", True)
        truncate = _bool_param(params, "truncate", True)
        side = str(params.get("truncation_direction") or "right").lower()
        if side not in ("left", "right"):
            raise _bad("'truncation_direction' 는 left 또는 right 입니다.", "'truncation_direction' must be left or right",
                       422, error_type="validation")
        if params.get("prompt_name") is not None:
            raise _bad("이 엔드포인트에는 prompt_name 으로 고를 프롬프트가 없습니다.", "prompt_name is not supported here", 422,
                       error_type="validation")
        dims = _int_param(params, "dimensions", 1, 1 << 16)
        fmt = params.get("encoding_format")
        if fmt not in (None, "float"):
            raise _bad("encoding_format 은 'float' 만 지원합니다.", "only encoding_format='float' is supported", 422,
                       error_type="validation")
        if not truncate:
            limit = self.max_length()
            for t in texts:
                n = len(self.parse_tokenizer(t)["input_ids"])
                if n > limit:
                    raise _bad(f"입력이 {n}토큰으로 최대 {limit}토큰보다 깁니다. truncate=True 로 자르세요.",
                               f"input has {n} tokens, more than the maximum {limit}", 422, error_type="validation")
        return Job("embed", texts, {"normalize": normalize, "truncate": truncate, "side": side, "dimensions": dims},
                   single=single, group=("embed", truncate, side))

    def run(self, jobs, max_batch):
        import torch

        texts = [t for j in jobs for t in j.items]
        params = [j.params for j in jobs for _ in j.items]
        p0 = jobs[0].params
        vectors: list = [None] * len(texts)
        with torch.inference_mode():
            for idx, enc in self._batches(texts, max_batch, truncate=p0["truncate"], side=p0["side"]):
                hidden = self.model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = ((hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)).float()
                normed = torch.nn.functional.normalize(pooled, dim=-1)
                # float32 values, written with 8 decimals (float32 carries ~7 significant digits): shorter JSON
                rows = torch.round(normed.double(), decimals=8).tolist()
                raw = torch.round(pooled.double(), decimals=8).tolist()
                for k, i in enumerate(idx):
                    p = params[i]
                    row = rows[k] if p["normalize"] else raw[k]
                    vectors[i] = row[: p["dimensions"]] if p["dimensions"] else row
        return _split(vectors, jobs)
