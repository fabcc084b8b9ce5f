"""pyproject.toml is the one source of versions: environment.yml, the installed venv and the
Colab install cell must agree with it."""
import re
import tomllib

import yaml

from hflab import course, env

ROOT = course.project_root()


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _pinned(reqs):
    out = {}
    for r in reqs:
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^;\s#]+)", r)
        if m:
            out[env._norm(m.group(1))] = m.group(2)
    return out


def test_every_dependency_is_pinned_exactly():
    d = _pyproject()
    for r in d["project"]["dependencies"] + d["project"]["optional-dependencies"]["dev"]:
        assert "==" in r, f"고정되지 않은 의존성: {r} (== 버전으로 고정하세요)"
    assert "torch" not in _pinned(d["project"]["dependencies"]), "torch는 의존성에 넣지 않습니다 (Colab의 CUDA torch 보호)"


def test_environment_yml_matches_pyproject():
    d = _pyproject()
    want = _pinned(d["project"]["dependencies"] + d["project"]["optional-dependencies"]["dev"] + [d["tool"]["hflab"]["torch"]])
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(x["pip"] for x in spec["dependencies"] if isinstance(x, dict) and "pip" in x)
    have = _pinned([p.split("#")[0] for p in pip])
    assert have == want, f"environment.yml 과 pyproject.toml 의 고정 버전이 다릅니다: {set(have.items()) ^ set(want.items())}"


def test_installed_versions_match_pins():
    d = _pyproject()
    want = _pinned(d["project"]["dependencies"] + d["project"]["optional-dependencies"]["dev"] + d["tool"]["hflab"]["nodeps"])
    wrong = {n: (env.installed(n), v) for n, v in want.items() if env.installed(n) != v}
    assert not wrong, f"설치된 버전이 고정 버전과 다릅니다 (설치됨, 고정): {wrong} → make setup"
    assert env.installed("torch").startswith(d["tool"]["hflab"]["torch"].split("==")[1])


def test_colab_install_cell_installs_this_repo_and_keeps_torch():
    cell = course.INSTALL_CELL
    assert f"git+{course.REPO_URL}@{course.BRANCH}" in cell
    assert "torch" not in cell.split("%pip", 1)[1], "설치 셀이 Colab의 torch를 바꾸면 안 됩니다"
    assert _pyproject()["project"]["urls"]["Repository"] == course.REPO_URL
