"""Tiny HTML pages, so a repo URL the client prints opens something useful."""
from __future__ import annotations

import html
from urllib.parse import quote

from ..common import _URL_PREFIX, REPO_TYPES
from ..state import Call


def home(call: Call):
    """The list of the repos this caller may read."""
    from starlette import responses

    rows = []
    for t in REPO_TYPES:
        for meta in call.hub.store.list_repos(t):
            if call.hub.can_read(meta, call.user):
                link = f"{call.base}/{_URL_PREFIX[t]}{meta['id']}"
                rows.append(f"<li>{t}: <a href='{html.escape(link)}'>{html.escape(meta['id'])}</a>"
                            f"{' (private)' if meta['private'] else ''}</li>")
    body = "<h1>hflab practice hub</h1><p>연습용 로컬 허브 (127.0.0.1)</p><ul>" + "".join(rows) + "</ul>"
    return responses.HTMLResponse(body)


def repo_page(call: Call, repo_type: str, ns: str, name: str):
    from starlette import responses

    meta = call.repo(repo_type, ns, name)
    repo_id = meta["id"]
    sha = call.hub.resolve(meta, "main")
    entries = call.hub.store.entries(meta, sha)
    rows = "".join(
        f"<li><a href='{html.escape(call.base)}/{_URL_PREFIX[repo_type]}{html.escape(repo_id)}/resolve/main/"
        f"{html.escape(quote(p))}'>{html.escape(p)}</a> ({e['size']} B{', LFS' if e['lfs'] else ''})</li>"
        for p, e in sorted(entries.items())
    )
    return responses.HTMLResponse(f"<h1>{html.escape(repo_id)}</h1><p>{repo_type} · commit {sha}</p><ul>{rows}</ul>")
