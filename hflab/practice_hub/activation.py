"""Pointing the already-imported clients at a practice hub and back (see :meth:`PracticeHub.activate`): the
library-wide ``HfApi`` objects, ``datasets.config``, and the loopback-only guard of an offline session."""
from __future__ import annotations

import sys

_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _import_time_apis() -> list:
    """``HfApi`` objects the libraries build once and keep, with the endpoint of that moment: the one behind
    ``huggingface_hub.create_repo`` / ``upload_file`` / ``ModelCard.push_to_hub`` (``huggingface_hub.hf_api.api``)
    and the one behind ``model.push_to_hub`` / ``Trainer.push_to_hub`` (``transformers.utils.hub.hf_api()``,
    created on first use, e.g. by ``from_pretrained`` from the offline mirror)."""
    apis = []
    hf_api_mod = sys.modules.get("huggingface_hub.hf_api")
    if hf_api_mod is not None and getattr(hf_api_mod, "api", None) is not None:
        apis.append(hf_api_mod.api)
    tf_hub = sys.modules.get("transformers.utils.hub")
    if tf_hub is not None and getattr(tf_hub, "_hf_api", None) is not None:
        apis.append(tf_hub._hf_api)
    return apis


def _set_datasets_config(endpoint: str, *, offline: bool) -> None:
    ds = sys.modules.get("datasets.config")
    if ds is None:
        return
    ds.HF_ENDPOINT = endpoint
    ds.HUB_DATASETS_URL = endpoint + "/datasets/{repo_id}/resolve/{revision}/{path}"
    ds.HF_HUB_OFFLINE = offline
    ds.HF_DATASETS_OFFLINE = offline


def _loopback_only(request) -> None:
    """httpx request hook installed while an offline notebook uses the practice hub."""
    host = (request.url.host or "").lower()
    if host not in _LOOPBACK:
        from huggingface_hub.errors import OfflineModeIsEnabled

        raise OfflineModeIsEnabled(
            f"Cannot reach {request.url.host}: offline mode is enabled (HF_HUB_OFFLINE=1); only the local "
            "practice hub (127.0.0.1) is reachable."
        )
