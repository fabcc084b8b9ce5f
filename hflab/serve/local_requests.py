"""Offline mode (``HF_HUB_OFFLINE=1``): let huggingface_hub reach 127.0.0.1 and localhost, and only them."""
from __future__ import annotations

from .config import _is_loopback


_SAVED_FACTORIES: tuple | None = None


def allow_local_requests() -> bool:
    """Let ``huggingface_hub`` (``InferenceClient``, ``AsyncInferenceClient``) reach 127.0.0.1 / localhost
    while ``HF_HUB_OFFLINE=1``; every other host stays blocked (``OfflineModeIsEnabled``).

    With the offline flag set, the client's HTTP session refuses every request, 127.0.0.1 included. This
    swaps the session's request hook for one that skips the offline check for loopback hosts only; the
    offline flag itself stays set (``from_pretrained`` keeps using the local cache). Returns True when it
    changed something, False when there was nothing to do (not offline, or already allowed). Undo with
    :func:`disallow_local_requests`.

    Used in: 11_inference_api, tests/test_serve.py.
    """
    global _SAVED_FACTORIES
    from huggingface_hub import constants
    from huggingface_hub.utils import _http

    if _SAVED_FACTORIES is not None or not constants.HF_HUB_OFFLINE:
        return False
    prev_sync, prev_async = _http._GLOBAL_CLIENT_FACTORY, _http._GLOBAL_ASYNC_CLIENT_FACTORY

    def sync_hook(request):
        if _is_loopback(request.url.host):
            return None
        return _http.hf_request_event_hook(request)

    async def async_hook(request):
        if _is_loopback(request.url.host):
            return None
        return await _http.async_hf_request_event_hook(request)

    def swapped(prev_factory, old_hook, new_hook):
        """A client factory like `prev_factory` whose request hook `old_hook` is replaced by `new_hook`."""
        def factory():
            client = prev_factory()
            hooks = dict(client.event_hooks)
            hooks["request"] = [new_hook if h is old_hook else h for h in hooks.get("request", [])]
            client.event_hooks = hooks
            return client
        return factory

    sync_factory = swapped(prev_sync, _http.hf_request_event_hook, sync_hook)
    async_factory = swapped(prev_async, _http.async_hf_request_event_hook, async_hook)
    _SAVED_FACTORIES = (prev_sync, prev_async)
    _http.set_client_factory(sync_factory)
    _http.set_async_client_factory(async_factory)
    return True


def disallow_local_requests() -> None:
    """Undo :func:`allow_local_requests` (offline mode blocks 127.0.0.1 again)."""
    global _SAVED_FACTORIES
    if _SAVED_FACTORIES is None:
        return
    from huggingface_hub.utils import _http

    prev_sync, prev_async = _SAVED_FACTORIES
    _http.set_client_factory(prev_sync)
    _http.set_async_client_factory(prev_async)
    _SAVED_FACTORIES = None
