"""git's smart-HTTP probe (``git clone`` / ``git push``): refused with a 403 whose Korean text git prints as
``remote:`` lines, naming the hf command that does the same."""
from __future__ import annotations

from ..state import Call

_GIT_SERVICES = ("git-upload-pack", "git-receive-pack")


def git_refs(call: Call, repo_type: str, repo_path: str):
    service = call.params.get("service")
    service = service if service in _GIT_SERVICES else "git-upload-pack"
    return _git_not_served(call.base, repo_type, repo_path, service)


def git_rpc(call: Call, repo_type: str, repo_path: str, service: str):
    return _git_not_served(call.base, repo_type, repo_path, service)


def _git_not_served(base: str, repo_type: str, repo_path: str, service: str):
    """403 with a Korean message git prints as ``remote: ...`` lines (smart-HTTP errors sent as text/plain):
    git is not served here, and the ``hf`` command that does the same. Used in: 01_hub_token, 10_sharing
    (learners who follow the old ``Repository`` / ``git clone`` habit of the seed notes)."""
    from fastapi.responses import PlainTextResponse

    repo_id = repo_path.removesuffix(".git") or "student/my-repo"
    folder = repo_id.rsplit("/", 1)[-1]
    flag = "" if repo_type == "model" else f" --repo-type {repo_type}"
    env = f"HF_ENDPOINT={base} HF_HUB_DISABLE_XET=1"
    if service == "git-receive-pack":
        what, cmd = "올리기(git push)", f"{env} hf upload {repo_id} ./{folder} .{flag}"
        py = f'HfApi().upload_folder(repo_id="{repo_id}", folder_path="{folder}"{_py_type(repo_type)})'
    else:
        what, cmd = "받기(git clone / pull)", f"{env} hf download {repo_id}{flag} --local-dir {folder}"
        py = f'snapshot_download("{repo_id}", local_dir="{folder}"{_py_type(repo_type)})'
    text = (f"hflab 연습 허브는 git 을 서비스하지 않습니다: git clone / pull / push 는 여기서 되지 않습니다.\n"
            f"예전의 Repository(...)·git 방식 대신 hf 명령(huggingface_hub)으로 {what}를 하세요:\n"
            f"  {cmd}\n"
            f"파이썬에서는: {py}\n"
            f"(토큰은 HF_TOKEN 에 연습 허브의 토큰을 두세요: hflab hub 가 토큰 파일의 위치를 알려 줍니다.)\n"
            f"The hflab practice hub does not serve git; use the hf CLI: {cmd}\n")
    return PlainTextResponse(text, status_code=403, media_type="text/plain; charset=utf-8")


def _py_type(repo_type: str) -> str:
    return "" if repo_type == "model" else f', repo_type="{repo_type}"'
