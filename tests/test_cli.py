"""The CLI wires each command to an hflab function that exists (help text is cheap to check)."""
from typer.testing import CliRunner

from hflab.cli import app

runner = CliRunner()


def test_top_level_commands_are_listed():
    out = runner.invoke(app, ["--help"]).output
    for cmd in ("doctor", "mirror", "models", "course", "student", "solutions", "grade", "bench", "hub", "serve"):
        assert cmd in out, f"`hflab {cmd}` is missing from --help"


def test_bench_commands_are_listed_and_their_functions_exist():
    out = runner.invoke(app, ["bench", "--help"]).output
    for cmd in ("pipeline", "padding", "lora", "serve"):
        assert cmd in out, f"`hflab bench {cmd}` is missing"
    from hflab.bench import bench_padding, bench_pipeline
    from hflab.lora_bench import bench_lora
    from hflab.serve import bench_serve, cli_serve
    assert all(callable(f) for f in (bench_padding, bench_pipeline, bench_lora, bench_serve, cli_serve))


def test_serve_requires_model_and_task():
    r = runner.invoke(app, ["serve"])
    assert r.exit_code != 0 and "--model" in r.output


def test_serve_on_the_network_needs_an_api_key():
    r = runner.invoke(app, ["serve", "--model", "x", "--task", "text-classification", "--host", "0.0.0.0"],
                      env={"HFLAB_SERVE_API_KEY": ""})
    assert r.exit_code == 1 and "--api-key-file" in r.output and "HFLAB_SERVE_API_KEY" in r.output
