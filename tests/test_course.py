"""The README's quickstart and lessons table, and every badge, derive from hflab.course."""
import re

from hflab import course
from hflab.runner import discover

README = (course.project_root() / "README.md").read_text(encoding="utf-8")


def test_quickstart_commands_at_the_top():
    top = README[:600]
    assert "make course" in top and "make test" in top


def test_ci_runs_the_readme_test_command():
    ci = (course.project_root() / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_lessons_table_has_a_badge_per_lesson():
    for l in course.LESSONS:
        assert course.colab_badge(l.stem + ".ipynb") in README, f"README에 {l.stem} 배지가 없습니다"


def test_every_badge_points_at_the_one_repository():
    for url in re.findall(r"colab\.research\.google\.com/github/([^)\s]+)", README):
        assert url.startswith(f"{course.REPO}/blob/{course.BRANCH}/notebooks/"), url


def test_notebooks_on_disk_are_lessons():
    stems = {l.stem for l in course.LESSONS}
    for nb in discover():
        assert nb.stem in stems, f"{nb.name} 이 hflab.course.LESSONS 에 없습니다"
