"""pyproject.toml is the one source of versions, in two layers: `dependencies` (what a learner's kernel
needs: the Hugging Face stack exact, general packages as ranges Colab's versions satisfy) and
`[tool.hflab] lock` (those ranges pinned exactly for local and CI). environment.yml, the installed venv,
the Colab install cell and Colab's published runtime must agree with it."""
import re
import tomllib

import yaml
from packaging.requirements import Requirement

from hflab import colab, course, env

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


def _deps():
    return [Requirement(r) for r in _pyproject()["project"]["dependencies"]]


def _ranged():
    return {env._norm(r.name): r for r in _deps() if not str(r.specifier).startswith("==")}


def _lock():
    return _pinned(_pyproject()["tool"]["hflab"]["lock"])


def test_exact_or_ranged_with_a_lock_pin():
    d = _pyproject()
    for r in d["project"]["optional-dependencies"]["dev"] + d["project"]["optional-dependencies"]["gpu"]:
        assert "==" in r, f"로컬 전용/GPU 의존성은 == 로 고정합니다: {r}"
    for r in _deps():
        spec = str(r.specifier)
        assert spec, f"버전 없는 의존성: {r} (범위 또는 == 로 적으세요)"
        assert spec.startswith("==") or ("<" in spec and ">=" in spec), f"범위에는 아래·위 경계가 모두 있어야 합니다: {r}"
    assert "torch" not in {env._norm(r.name) for r in _deps()}, "torch는 의존성에 넣지 않습니다 (Colab의 CUDA torch 보호)"
    ranged, lock = _ranged(), _lock()
    assert set(lock) == set(ranged), f"lock 과 범위 의존성의 이름이 다릅니다: {set(lock) ^ set(ranged)}"
    for name, req in ranged.items():
        assert req.specifier.contains(lock[name]), f"lock {name}=={lock[name]} 이 범위 {req.specifier} 밖입니다"


def test_colab_versions_fit_the_ranges_or_are_allowed_changes():
    """What the install cell would replace on Colab is exactly what install_changes.toml explains."""
    have, allowed = colab.freeze(), colab.allowed_changes()
    for r in _deps():
        name = env._norm(r.name)
        colab_version = have.get(name)
        fits = colab_version is not None and r.specifier.contains(colab_version.split("+")[0])
        if not fits:
            assert name in allowed, f"Colab의 {name} {colab_version} 이 {r.specifier} 에 맞지 않는데 install_changes.toml 에 이유가 없습니다"
    for name in colab.PROTECTED:
        assert name not in allowed, f"{name} 은(는) Colab에서 바꾸면 안 되는 패키지입니다"


def test_environment_yml_matches_pyproject():
    d = _pyproject()
    want = _pinned(d["project"]["dependencies"] + d["tool"]["hflab"]["lock"]
                   + d["project"]["optional-dependencies"]["dev"] + [d["tool"]["hflab"]["torch"]])
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(x["pip"] for x in spec["dependencies"] if isinstance(x, dict) and "pip" in x)
    have = _pinned([p.split("#")[0] for p in pip])
    assert have == want, f"environment.yml 과 pyproject.toml 의 고정 버전이 다릅니다: {set(have.items()) ^ set(want.items())}"


def test_installed_versions_match_pins():
    d = _pyproject()
    want = _pinned(d["project"]["dependencies"] + d["tool"]["hflab"]["lock"]
                   + d["project"]["optional-dependencies"]["dev"] + d["tool"]["hflab"]["nodeps"])
    wrong = {n: (env.installed(n), v) for n, v in want.items() if env.installed(n) != v}
    assert not wrong, f"설치된 버전이 고정 버전과 다릅니다 (설치됨, 고정): {wrong} → make setup"
    assert env.installed("torch").startswith(d["tool"]["hflab"]["torch"].split("==")[1])


def test_colab_install_cell_installs_this_repo_and_keeps_torch():
    cell = course.INSTALL_CELL
    assert course.INSTALL_SOURCE == f"git+{course.REPO_URL}@{course.BRANCH}" and course.INSTALL_SOURCE in cell
    assert "torch" not in cell.split("pip", 1)[1].split("capture_output")[0], "설치 셀이 Colab의 torch를 바꾸면 안 됩니다"
    assert cell.count('"pip", "install"') == 1, "pip 호출은 한 번"
    assert _pyproject()["project"]["urls"]["Repository"] == course.REPO_URL
