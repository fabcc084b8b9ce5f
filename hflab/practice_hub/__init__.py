"""A local practice hub: the subset of the Hugging Face Hub HTTP API the course uses, on 127.0.0.1.

The real ``huggingface_hub`` client (and ``transformers`` / ``datasets`` on top of it) talks to this
server exactly as it talks to huggingface.co: whoami, repo info, file listing, file resolve (HEAD/GET,
ranges), create/delete repo, preupload, the NDJSON commit endpoint, branches, tags, refs and commit
history, and the Git LFS batch API for large files. Nothing is mocked on the client side. State (repos,
commits, content-addressed blobs, tokens) lives on disk under ``root`` (default ``build/practice_hub``),
so a restart keeps the repos.

The hub does not serve git: ``git clone`` / ``git push`` (git's smart-HTTP probe, ``.../info/refs``) get a
403 whose Korean text git prints as ``remote:`` lines, naming the ``hf download`` / ``hf upload`` command
that does the same (the seed notes' ``Repository`` / git habit).

Like the Hub, a new repo starts with a ``.gitattributes`` commit; paths it marks ``filter=lfs``
(``*.safetensors``, ``*.parquet``, ``*.bin`` ...) and files over 10 MB are uploaded through Git LFS
(``uploadMode: "lfs"`` in preupload, then ``{repo}.git/info/lfs/objects/batch`` and a PUT), the others
inline in the commit call (``"regular"``). The hub has no Xet storage: ``activate()`` sets
``HF_HUB_DISABLE_XET`` so the client uses the LFS protocol (without ``activate()``, set
``HF_HUB_DISABLE_XET=1`` before importing huggingface_hub, or uploads of LFS files fail).

Used in: 01_hub_token, 10_sharing, 12_spaces (and the tests of hflab.auth / hflab.practice_hub).

Start, use, stop::

    from hflab.practice_hub import PracticeHub
    from huggingface_hub import HfApi

    hub = PracticeHub().start()          # or: with PracticeHub() as hub: ...
    hub.activate()                       # see "Offline notebooks" below
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    api.whoami()["name"]                 # 'student'
    ...
    hub.deactivate(); hub.stop()

``hub.token`` is a write token of the practice user ``student`` (``hub.read_token`` a read-only one).
They are generated once per ``root`` and kept in ``root/tokens.json`` (mode 0600); they are only
valid on this practice hub. Never print them: ``repr(hub)`` masks them.

Offline notebooks (``HF_HUB_OFFLINE=1``)
----------------------------------------
``huggingface_hub`` reads ``HF_ENDPOINT`` and ``HF_HUB_OFFLINE`` once, at import time
(``huggingface_hub.constants.ENDPOINT`` / ``HF_HUB_OFFLINE``), and its HTTP session refuses *every*
request while the offline flag is set, 127.0.0.1 included. Passing ``endpoint=`` to ``HfApi`` is
therefore not enough in an offline notebook, and setting the environment variables after the import
changes nothing. ``hub.activate()`` is the honest fix, done in the open:

* it points the already-imported libraries at the practice hub: ``huggingface_hub.constants.ENDPOINT``
  (+ the resolve URL template), ``datasets.config.HF_ENDPOINT`` when ``datasets`` is loaded, the ``HfApi``
  objects built before (``huggingface_hub.upload_file`` & co., ``transformers``' ``push_to_hub``), and the
  ``HF_ENDPOINT`` environment variable (for libraries imported later and for ``!hf ...`` subprocesses);
* it sets ``huggingface_hub.constants.HF_HUB_DISABLE_XET`` (large files use Git LFS, see above);
* it clears the offline flag (``huggingface_hub.constants.HF_HUB_OFFLINE``, ``datasets.config``,
  ``HF_HUB_OFFLINE=0`` and, if set, ``HF_DATASETS_OFFLINE=0`` in the environment) and, when the flag was set, installs a guard on the client's
  HTTP session that still refuses every non-loopback host (``OfflineModeIsEnabled``). Offline stays
  offline: only 127.0.0.1 / localhost can be reached while the hub is active;
* ``activate(export_token=True)`` also sets ``HF_TOKEN`` to the practice write token for the duration
  (the way a Colab secret would), so calls without ``token=`` (``push_to_hub``, ``from_pretrained``,
  ``load_dataset``) authenticate. Otherwise pass ``token=hub.token`` explicitly. An ``HF_TOKEN`` that is
  not a practice token (e.g. a real one) is answered with 401 by the practice hub, like the Hub would.

``hub.deactivate()`` (or leaving ``with hub.activated():``) restores every value it changed, so the
offline mirror (``HF_HUB_OFFLINE=1``) works again afterwards. A notebook therefore does::

    hub = PracticeHub(fresh=True).start()    # fresh=True: same result when the notebook runs twice
    with hub.activated(export_token=True):
        ...  # create_repo / upload_folder / push_to_hub / from_pretrained("student/x") / load_dataset
    hub.stop()

Bad input never crashes the hub: every route (:data:`ROUTES`) answers malformed bodies (not JSON, invalid
UTF-8, lone surrogates, deep nesting, wrong JSON types) with a 4xx in the Hub's error shape whose ``error``
text ends with a Korean line, and refuses what the Hub refuses: invalid repo names, file paths with ``..``
or a component over 255 bytes, branch/tag names git would not take, booleans that are not JSON booleans.

Extras for teaching and tests: ``hub.add_repo(...)`` seeds a repo on the server side (e.g. a gated one,
``gated="manual"``), ``hub.add_token(...)`` / ``hub.revoke_token(...)`` manage tokens,
``hub.fail(pattern, status=500)`` injects faults, ``hub.requests`` lists the HTTP calls the client made
(method, path, status; never headers). ``serve_forever(root, port)`` runs it in the foreground (CLI).

Layout (a package; import everything from ``hflab.practice_hub``)
------------------------------------------------------------------
``server`` (:class:`PracticeHub`, :func:`serve_forever`), ``activation`` (pointing the clients at the hub),
``app`` (the catch-all web app), ``routes`` (:data:`ROUTES`: each path shape and its handler), ``handlers/``
(one module per resource: account, repos, refs, files, lfs, git, pages), ``views`` (repo info, tree listings,
file answers), ``state`` (access rules, the request as handlers see it), ``store`` (:class:`HubStore`: repos,
commits, blobs, tokens on disk), ``validate`` (names, paths, refs, JSON bodies), ``answers`` (the Hub's error
shape with a Korean line), ``common`` (shared constants).
"""
from __future__ import annotations

from .answers import HubHTTPError
from .app import create_app
from .common import DEFAULT_USER, REPO_TYPES, default_root
from .routes import ROUTES, Route, _route_for  # noqa: F401 - _route_for: the fuzz test checks its examples with it
from .server import PracticeHub, serve_forever
from .state import HubState
from .store import DEFAULT_GITATTRIBUTES, HubStore

__all__ = ["PracticeHub", "serve_forever", "create_app", "DEFAULT_USER", "default_root", "ROUTES", "Route",
           "HubStore", "HubState", "HubHTTPError", "DEFAULT_GITATTRIBUTES", "REPO_TYPES"]
