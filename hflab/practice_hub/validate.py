"""What the hub accepts: repo names, file paths and refs like the Hub, request bodies as plain JSON objects
with fields of the right JSON type. Each check answers 400 with a Korean reason (or returns it)."""
from __future__ import annotations

import json
import re
from typing import Any

from ..json_guard import MAX_JSON_DEPTH, json_problem
from .answers import _bad_request
from .common import _CONTROL_RE, REPO_TYPES

# The Hub's repo (and namespace) names: ASCII letters, digits, "-", "_", "."; at most 96 characters; no "--" or
# ".."; "-" and "." neither first nor last; not ending in ".git" (_name_problem). These are the rules
# huggingface_hub.utils.validate_repo_id applies before it sends a repo id.
_NAME_RE = re.compile(r"^(?![.-])(?!.*[.-]$)(?!.*--)(?!.*\.\.)[A-Za-z0-9._-]{1,96}$")


_PATH_PART_MAX = 255      # bytes (UTF-8) per path component: NAME_MAX of the file systems the cache lands on
_PATH_MAX = 1024          # bytes (UTF-8) for a whole path in a repo (or a revision)
_REF_CHARS_RE = re.compile(r"[A-Za-z0-9._/-]+")


def _utf8_len(text: str) -> int | None:
    """Length in UTF-8 bytes, or None when ``text`` cannot be UTF-8 (a lone surrogate such as ``\\ud800``)."""
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return None


def _path_problem(path: Any) -> str | None:
    """Why ``path`` cannot be a file path in a repo (Korean), or None when it can."""
    if not isinstance(path, str) or not path:
        return "파일 경로는 비어 있지 않은 문자열이어야 합니다"
    size = _utf8_len(path)
    if size is None or _CONTROL_RE.search(path):
        return "파일 경로에 UTF-8로 쓸 수 없는 문자나 제어 문자가 있습니다"
    if path.startswith("/") or "\\" in path:
        return "파일 경로는 저장소 안의 상대 경로여야 합니다 (/ 로 시작하거나 \\ 를 쓰지 마세요)"
    if size > _PATH_MAX:
        return f"파일 경로가 너무 깁니다 ({size}바이트, 최대 {_PATH_MAX})"
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts) or parts[0] == ".git":
        return "파일 경로에 빈 부분, '.', '..' 또는 .git 을 쓸 수 없습니다"
    longest = max(len(p.encode("utf-8")) for p in parts)
    if longest > _PATH_PART_MAX:
        return f"파일·폴더 이름 하나가 너무 깁니다 ({longest}바이트, 최대 {_PATH_PART_MAX}): 더 짧은 이름을 쓰세요"
    return None


def _name_problem(name: Any, what: str = "저장소 이름") -> str | None:
    """Why ``name`` cannot be a repo name or namespace on the Hub (Korean), or None when it can."""
    if not isinstance(name, str) or not name:
        return f"{what}은(는) 비어 있지 않은 문자열이어야 합니다"
    if _NAME_RE.match(name) and not name.endswith(".git"):
        return None
    return (f"{what} {name[:100]!r}은(는) 쓸 수 없습니다: 영문자·숫자·'-'·'_'·'.'만, 96자 이하, "
            "'--'·'..' 없이, '-'·'.'로 시작하거나 끝나지 않게 ('.git'으로 끝나지도 않게) 지으세요")


def _ref_problem(ref: Any, what: str = "브랜치/태그 이름") -> str | None:
    """Why ``ref`` cannot be a branch or tag name (git's check-ref-format rules, ASCII only), or None."""
    if not isinstance(ref, str) or not ref:
        return f"{what}은(는) 비어 있지 않은 문자열이어야 합니다"
    parts = ref.split("/")
    if (not _REF_CHARS_RE.fullmatch(ref) or ".." in ref or ref.startswith("-") or ref.endswith((".", ".lock"))
            or any(not p or p.startswith(".") or p.endswith(".lock") for p in parts)
            or len(ref) > _PATH_MAX or max(len(p) for p in parts) > _PATH_PART_MAX):
        return (f"{what} {ref[:100]!r}은(는) 쓸 수 없습니다: 영문자·숫자·'.'·'_'·'-'·'/'만 쓰고, '..'·'//' 없이, "
                "'-'로 시작하거나 '/'·'.'·'.lock'으로 끝나지 않게 지으세요")
    return None


def _parse_json(text: bytes | str) -> Any:
    """``json.loads`` that answers 400 (Korean) to anything that is not plain JSON: bad syntax, invalid UTF-8,
    nesting deeper than ``MAX_JSON_DEPTH`` (the client's deepest body, a commit line, nests 3 levels), or strings
    (keys included) that are not valid Unicode."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise _bad_request("본문이 올바른 JSON(UTF-8)이 아닙니다. JSON 으로 다시 보내세요.", "Invalid JSON body") from None
    problem = json_problem(data)
    if problem == "depth":
        raise _bad_request(f"JSON 이 너무 깊게 중첩되어 있습니다 (최대 {MAX_JSON_DEPTH}단계).", "JSON too deep")
    if problem == "surrogate":
        raise _bad_request("JSON 문자열에 짝이 없는 서로게이트(예: \\ud800)가 있습니다. 올바른 유니코드로 보내세요.",
                           "Invalid unicode in JSON")
    return data


def _load_json(body: bytes) -> dict:
    """The request body as a JSON object (``{}`` when empty); 400 in Korean otherwise."""
    if not body:
        return {}
    data = _parse_json(body)
    if not isinstance(data, dict):
        raise _bad_request("본문은 JSON 객체({...})여야 합니다.", "Expected a JSON object")
    return data


_TYPE_KO = {str: "문자열", bool: "true/false", int: "정수", list: "배열", dict: "객체"}


def _field(payload: dict, key: str, kind: type, default: Any = None, *, required: bool = False) -> Any:
    """``payload[key]`` when it has JSON type ``kind`` (``null``/absent gives ``default``); 400 in Korean otherwise.
    Booleans must be JSON booleans (``"private": "no"`` is refused, as the Hub does) and are not integers."""
    value = payload.get(key)
    if value is None:
        if required:
            raise _bad_request(f"'{key}' 값이 필요합니다 ({_TYPE_KO[kind]}).", f"Missing '{key}'")
        return default
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _bad_request(f"'{key}' 값은 {_TYPE_KO[kind]}이어야 합니다 (받은 값: {type(value).__name__}).",
                           f"Invalid type for '{key}'")
    return value


def _repo_type_field(body: dict) -> str:
    repo_type = _field(body, "type", str, "model")
    if repo_type not in REPO_TYPES:
        raise _bad_request(f"저장소 종류(type)는 {', '.join(REPO_TYPES)} 중 하나여야 합니다.", "Invalid repo type")
    return repo_type


def _visibility_field(body: dict) -> str | None:
    visibility = _field(body, "visibility", str)
    if visibility is not None and visibility not in ("public", "private"):
        raise _bad_request("visibility 는 \"public\" 또는 \"private\" 이어야 합니다.", "Invalid visibility")
    return visibility
