"""`hflab` command line (typer). Each command is a thin wrapper over one hflab module.

    hflab doctor            environment check in Korean (hflab.env)
    hflab mirror            build / check the offline mirror (hflab.offline)
    hflab course            run every lesson offline, print the table (hflab.runner)
    hflab student|solutions build the student / instructor notebooks (hflab.student)
    hflab grade DIR         grade a folder of submitted notebooks (hflab.student)
    hflab bench WHAT        measured benchmarks as JSON (hflab.bench)
    hflab models            the course's own fine-tuned models (hflab.models)
    hflab hub               local practice hub (hflab.practice_hub)
    hflab serve             local inference endpoint for InferenceClient (hflab.serve)
"""
from __future__ import annotations

import errno
import json
import os
import traceback
from pathlib import Path
from typing import Optional

import typer
from typer.core import TyperGroup

from .errors import HflabError

DEBUG_ENV = "HFLAB_DEBUG"


def explain(exc: BaseException) -> str:
    """The Korean text `hflab` prints for an error a command raised: message and fix, no traceback.

    An :class:`HflabError` already says what to do; an ``OSError`` (a port in use, a folder that cannot
    be written) is named with its Korean fix; anything else is called unexpected and points at
    ``--debug``. Token-like strings are masked. Used by every `hflab` command (README: a failing command).
    """
    from .auth import _scrub  # the package's own masking of hf_ tokens (auth.mask_token)

    if isinstance(exc, HflabError):
        text = str(exc)
    elif isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        fixes = {
            errno.EADDRINUSE: "다른 --port 를 주거나, 그 포트를 쓰는 프로그램을 끄세요.",
            errno.EACCES: "쓸 수 있는 폴더나 1024 이상의 포트를 고르세요.",
            errno.EPERM: "쓸 수 있는 폴더나 1024 이상의 포트를 고르세요.",
            errno.ENOSPC: "디스크 공간을 비우고 다시 실행하세요.",
            errno.ENOTDIR: "폴더 경로 중간에 파일이 있습니다. 다른 폴더를 고르세요.",
            errno.EROFS: "쓸 수 있는 폴더를 고르세요.",
        }
        fix = fixes.get(exc.errno, "경로와 포트를 확인하고 다시 실행하세요.")
        text = f"운영체제 오류: {exc.strerror or exc}{where}\n  → 해결: {fix}"
    else:
        first = (str(exc).strip().splitlines() or [""])[0][:300]  # the rest is in the --debug traceback
        text = (f"예상하지 못한 오류입니다: {type(exc).__name__}: {first}\n"
                f"  → 해결: 같은 명령을 `hflab --debug ...` (또는 {DEBUG_ENV}=1) 로 다시 실행하면 전체 traceback 이 "
                "보입니다. 그 내용과 함께 알려 주세요.")
    return _scrub(text, os.environ.get("HF_TOKEN"))


class _KoreanErrors(TyperGroup):
    """Every command's failure ends as its Korean message and exit code 1; the traceback only with --debug."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # exit codes and usage errors: typer prints those
            raise
        except Exception as exc:  # noqa: BLE001 - the point is that no command ends in a bare traceback
            if ctx.params.get("debug") or os.environ.get(DEBUG_ENV, "") not in ("", "0"):
                traceback.print_exc()
            typer.secho(f"❌ {explain(exc)}", fg="red", err=True)
            raise typer.Exit(1) from None


app = typer.Typer(cls=_KoreanErrors, add_completion=False, no_args_is_help=True,
                  pretty_exceptions_enable=False, help="hflab 강의 도구 (Hugging Face 한국어 강의)")
bench_app = typer.Typer(no_args_is_help=True, help="측정 벤치마크 (결과는 JSON)")
app.add_typer(bench_app, name="bench")


@app.callback()
def _options(debug: bool = typer.Option(False, "--debug", help=f"오류가 나면 전체 traceback 도 보여 줍니다 ({DEBUG_ENV}=1 과 같음)")):
    """hflab 강의 도구. 오류는 한국어 설명과 해결 방법으로 끝납니다 (traceback 은 --debug)."""


@app.command()
def doctor(no_mirror: bool = typer.Option(False, help="미러 점검 생략")):
    """환경 점검: Colab/로컬, GPU, 라이브러리 버전, 오프라인 미러."""
    from .env import doctor as run

    raise typer.Exit(0 if run(mirror=not no_mirror) else 1)


@app.command()
def mirror(force: bool = typer.Option(False, help="이미 있어도 다시 만들기"),
           check: bool = typer.Option(False, help="만들지 않고 상태만 확인")):
    """오프라인 미러(실제 가중치 → HF 캐시) 만들기/확인. 두 번째 실행은 아무것도 하지 않습니다."""
    from . import offline

    if check:
        bad = [s for s in offline.mirror_status() if not s.ok]
        for s in offline.mirror_status():
            typer.echo(f"[mirror] {s.repo_id}: {s.state} {s.detail}")
        raise typer.Exit(1 if bad else 0)
    offline.build_mirror(force=force)


@app.command()
def models(force: bool = typer.Option(False, help="이미 있어도 다시 학습")):
    """과정 모델(08강의 리뷰 분류기)을 build/models 에 준비합니다. 이미 있으면 확인만 합니다."""
    import shutil

    from .models import ensure_review_classifier, review_classifier_info, review_classifier_path

    if force:
        shutil.rmtree(review_classifier_path(), ignore_errors=True)
    path = ensure_review_classifier()
    info = review_classifier_info(path) or {}
    typer.echo(f"[models] review-classifier: {path}  {json.dumps(info.get('test_accuracy', {}), ensure_ascii=False)}")


@app.command()
def course(only: Optional[list[str]] = typer.Argument(None, help="일부 노트북만 (예: 00 03)"),
           out: Path = typer.Option(None, help="실행 결과 폴더 (기본 build/course)"),
           online: bool = typer.Option(False, help="기본(Hub, GPU) 매개변수로 실행: 인터넷과 GPU 필요")):
    """모든 강의 노트북을 오프라인 매개변수로 실행하고 결과 표를 출력합니다 (--online: 기본 매개변수)."""
    from .runner import run_course
    from .course_table import print_table, write_markdown

    if not online:
        from .models import ensure_review_classifier
        from .offline import build_mirror

        build_mirror(log=lambda s: None)
        ensure_review_classifier()  # lessons 02, 10-12 reuse lesson 08's classifier
    results = run_course(out, only=only, online=online)
    print_table(results, online=online)
    path = write_markdown(results, online=online)
    typer.echo(f"표 저장: {path}")
    raise typer.Exit(0 if all(r.ok for r in results) else 1)


@app.command()
def student(src: Path = typer.Option(Path("notebooks")), out: Path = typer.Option(Path("build/student"))):
    """학생용 노트북(정답 제거, 출력 제거)을 build/student 에 만듭니다."""
    from .student import cli_student

    cli_student(src, out)  # unbalanced solution markers, missing folder: HflabError, printed by _KoreanErrors


@app.command()
def solutions(src: Path = typer.Option(Path("notebooks")), out: Path = typer.Option(Path("build/solutions"))):
    """강사용 정답 노트북(출력 제거)을 build/solutions 에 만듭니다."""
    from .student import cli_solutions

    cli_solutions(src, out)


@app.command()
def grade(folder: Path, out: Path = typer.Option(Path("build/grades.csv")),
          timeout: Optional[int] = typer.Option(None, help="노트북 하나당 제한 시간(초, 기본: 강의 시간 예산의 3배)"),
          cell_timeout: Optional[int] = typer.Option(None, help="셀 하나당 제한 시간(초, 기본: 강의 시간 예산의 2배)"),
          jobs: int = typer.Option(1, help="동시에 채점할 노트북 수 (커널 수)"),
          lesson: Optional[str] = typer.Option(None, help="모든 제출의 강의 (예: 06_datasets): 파일 이름이 강의 이름이 아닐 때"),
          executed: Optional[Path] = typer.Option(None, help="실행된 노트북을 학생별로 저장할 폴더")):
    """제출된 노트북 폴더를 채점해 CSV로 씁니다: 점수는 과정의 채점 함수가 직접 계산합니다 (하나가 실패해도 계속)."""
    from .student import cli_grade

    raise typer.Exit(cli_grade(folder, out, timeout, executed=executed, jobs=jobs, cell_timeout=cell_timeout,
                               lesson=lesson))


def _print_json(d: dict) -> None:
    typer.echo(json.dumps(d, ensure_ascii=False, indent=2))


@bench_app.command("pipeline")
def bench_pipeline():
    """파이프라인: 배치 vs 한 개씩 처리량 (items/s) 비율."""
    from .bench import bench_pipeline as run

    _print_json(run())


@bench_app.command("padding")
def bench_padding():
    """패딩 전략별 패딩 비율과 학습 스텝 시간 (max_length vs 동적 vs 동적+길이 묶기)."""
    from .bench import bench_padding as run

    _print_json(run())


@bench_app.command("lora")
def bench_lora():
    """LoRA vs 전체 미세조정: 학습 파라미터 비율, 어댑터 크기, 최대 메모리, 스텝 시간 (SmolLM2-135M)."""
    from .lora_bench import bench_lora as run

    _print_json(run())


@bench_app.command("serve")
def bench_serve(clients: int = typer.Option(16, help="동시에 요청하는 클라이언트 수"),
                requests: int = typer.Option(512, help="모드(동적 배칭 / 요청마다 실행)별 요청 수"),
                inputs: str = typer.Option("reviews", help="reviews: 과정 리뷰 전체 길이 (기본), short: 8토큰 이하의 짧은 리뷰"),
                short_figure: bool = typer.Option(True, help="짧은 입력의 두 번째 측정도 함께 (라벨: short_inputs)")):
    """hflab serve: 동적 배칭 vs 요청마다 실행의 처리량, p50/p99 지연, 5xx 수, 입력 길이 (실제 리뷰 길이 기본)."""
    from .serve import bench_serve as run

    _print_json(run(clients=clients, requests=requests, inputs=inputs, short_figure=short_figure))


@app.command()
def serve(model: str = typer.Option(..., help="Hub 모델 id 또는 로컬 폴더 (예: build/models/review-classifier)"),
          task: str = typer.Option(..., help="작업: text-classification, feature-extraction, text-generation ..."),
          port: int = typer.Option(8080, help="포트 (0 = 빈 포트)"),
          rate_limit: Optional[str] = typer.Option(None, "--rate-limit", help="초당 요청 수 제한, 예: 5/s (넘으면 429)"),
          host: str = typer.Option("127.0.0.1", help="교실에서 다른 컴퓨터가 접속하려면 0.0.0.0 (접속 키 필요)"),
          api_key_file: Optional[Path] = typer.Option(
              None, "--api-key-file",
              help="접속 키 파일 (한 줄에 키 하나, chmod 600). 환경 변수 HFLAB_SERVE_API_KEY 로도 줄 수 있습니다"),
          api_key: Optional[str] = typer.Option(None, "--api-key", hidden=True)):
    """로컬 추론 엔드포인트: InferenceClient·OpenAI 클라이언트가 그대로 말하는 HTTP 서버, 동적 배칭."""
    from .serve import API_KEY_ENV, ServeError, cli_serve

    if api_key is not None:  # the old option: a key on the command line is visible to everyone in `ps`
        raise ServeError("--api-key 로 명령줄에 쓴 키는 같은 컴퓨터의 누구나 ps 로 볼 수 있어 받지 않습니다.",
                         fix=f"키를 파일에 두고 --api-key-file 로 넘기거나 (chmod 600), 환경 변수 {API_KEY_ENV} 에 "
                             "넣으세요. 이미 명령줄에 쓴 키는 새로 만드세요.")
    # unknown task or model, port in use, network host without a key, bad key file: printed by _KoreanErrors
    cli_serve(model, task, port=port, rate_limit=rate_limit, host=host, api_key_file=api_key_file)


@app.command()
def hub(root: Path = typer.Option(Path("build/practice_hub"), help="저장소·토큰을 둘 폴더"),
        port: int = typer.Option(8765, help="포트 (0 = 빈 포트)")):
    """연습용 로컬 Hub (127.0.0.1): 실제 huggingface_hub 클라이언트로 로그인/업로드 연습."""
    from .practice_hub import serve_forever

    serve_forever(root, port)


def main():  # pragma: no cover - the console script; tests run it as `python -m hflab.cli`
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
