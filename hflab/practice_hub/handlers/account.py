"""The account: who a token belongs to (``whoami-v2``) and the client's telemetry pings."""
from __future__ import annotations

import hashlib

from ..answers import HubHTTPError, _json
from ..common import _INVALID_CREDENTIALS, _now_iso
from ..state import Call


def whoami(call: Call):
    user = call.user
    if user is None:
        raise HubHTTPError(401, _INVALID_CREDENTIALS, ko="토큰 없이 물었습니다. 연습 허브의 토큰(hub.token)을 쓰세요.")
    name = user["user"]
    return _json({
        "type": "user",
        "id": hashlib.sha1(name.encode()).hexdigest()[:24],
        "name": name,
        "fullname": f"{name} (practice hub)",
        "email": f"{name}@practice-hub.invalid",
        "emailVerified": True,
        "canPay": False,
        "isPro": False,
        "periodEnd": None,
        "avatarUrl": "",
        "orgs": [],
        "auth": {"type": "access_token",
                 "accessToken": {"displayName": user.get("name", "practice"), "role": user.get("role", "read"),
                                 "createdAt": user.get("created", _now_iso()),
                                 **({"fineGrained": {"global": [], "scoped": user.get("scoped", []),
                                                     "canReadGatedRepos": False}}
                                    if user.get("role") == "fineGrained" else {})}},
    })


def telemetry(call: Call, _rest: str):
    return _json({})
