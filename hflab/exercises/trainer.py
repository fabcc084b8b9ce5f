"""Checkers for lesson 08 (Trainer and evaluate): compute_metrics, T4 TrainingArguments, checkpoints.

Every checker recomputes its expectation itself: the metrics from synthetic predictions it
builds (numpy, no evaluate), the right precision flags from the machine it runs on
(``torch.cuda.is_available()``), the last checkpoint with transformers' own
``get_last_checkpoint``, the resume step from the checkpoint's ``trainer_state.json``.

Used in: 08_trainer.
"""
from __future__ import annotations

import json
from pathlib import Path

from . import Example, Hint, as_number, ensure, exercise

LESSON = "08_trainer"


def _expected_metrics(logits, labels) -> dict:
    """Accuracy and binary F1 (positive class = 1), computed with numpy only."""
    import numpy as np

    pred = np.asarray(logits).argmax(axis=-1)
    labels = np.asarray(labels)
    tp = int(((pred == 1) & (labels == 1)).sum())
    fp = int(((pred == 1) & (labels == 0)).sum())
    fn = int(((pred == 0) & (labels == 1)).sum())
    f1 = 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)
    return {"accuracy": float((pred == labels).mean()), "f1": float(f1)}


def _synthetic_predictions():
    """EvalPrediction cases: random logits, an all-negative model, a perfect model (fixed seed)."""
    import numpy as np
    from transformers import EvalPrediction

    rng = np.random.default_rng(8)
    cases = []
    labels = rng.integers(0, 2, size=40)
    cases.append(EvalPrediction(predictions=rng.normal(size=(40, 2)).astype("float32"), label_ids=labels))
    labels = np.array([0, 1, 1, 0, 1, 1, 1, 0, 1, 1])
    logits = np.tile(np.array([[2.0, -1.0]], dtype="float32"), (10, 1))  # always "negative"
    logits[1] = [-0.5, 0.5]  # one true positive
    cases.append(EvalPrediction(predictions=logits, label_ids=labels))
    labels = rng.integers(0, 2, size=25)
    perfect = np.stack([1.0 - labels, labels.astype(float)], axis=1).astype("float32")
    cases.append(EvalPrediction(predictions=perfect, label_ids=labels))
    return cases


@exercise("08.1", "compute_metrics: 정확도와 F1")
def check_compute_metrics(answer):
    """`answer` is the learner's compute_metrics(eval_pred) -> {"accuracy": ..., "f1": ...}.

    The checker calls it on EvalPrediction objects it builds (random logits, a model that
    almost always says "negative", a perfect model) and compares with its own numbers.
    Used in: 08_trainer.
    """
    ensure(callable(answer), "답은 함수여야 해요: def compute_metrics(eval_pred): ... 를 정의하고 그 함수 이름을 넘기세요.")
    for k, eval_pred in enumerate(_synthetic_predictions(), start=1):
        got = answer(eval_pred)
        ensure(isinstance(got, dict), f"compute_metrics는 dict를 돌려줘야 해요 (지금은 {type(got).__name__}).")
        want = _expected_metrics(eval_pred.predictions, eval_pred.label_ids)
        for key in ("accuracy", "f1"):
            ensure(key in got, f"돌려준 dict에 '{key}' 키가 없어요. 키 이름은 정확히 'accuracy' 와 'f1' 이어야 "
                               "Trainer 로그에 eval_accuracy, eval_f1 로 나옵니다.")
            value = as_number(got[key], f"'{key}' 값")
            if abs(value - want[key]) > 1e-6:
                if key == "accuracy":
                    raise Hint(f"시험 {k}번에서 accuracy가 {value:.4f}인데 {want['accuracy']:.4f}이어야 해요. "
                               "logits.argmax(axis=-1) 로 클래스 번호를 먼저 구했는지 확인하세요.")
                raise Hint(f"시험 {k}번에서 f1이 {value:.4f}인데 {want['f1']:.4f}이어야 해요. "
                           "이진 분류의 F1은 positive(1) 클래스 기준(average='binary')입니다. "
                           "예측을 argmax로 만들고 references에 정답 라벨을 넘겼는지 확인하세요.")
    return "직접 만든 예측 세 묶음에서 accuracy와 F1이 모두 맞습니다."


@exercise("08.2", "T4에 맞는 TrainingArguments")
def check_training_args(answer):
    """`answer` is a TrainingArguments for a T4 run of the lesson.

    Expected: evaluation and saving every epoch (eval_strategy, not the removed
    evaluation_strategy), load_best_model_at_end, fp16 exactly when a CUDA GPU is present
    (the checker asks torch), no bf16 (a T4 has none), length-grouped batches.
    Used in: 08_trainer.
    """
    import torch
    from transformers import TrainingArguments

    ensure(isinstance(answer, TrainingArguments),
           f"답은 TrainingArguments(...) 객체여야 해요 (지금은 {type(answer).__name__}).")
    ev = getattr(answer.eval_strategy, "value", answer.eval_strategy)
    sv = getattr(answer.save_strategy, "value", answer.save_strategy)
    ensure(ev == "epoch", f"eval_strategy가 '{ev}'예요. 에폭마다 평가하도록 eval_strategy='epoch' 로 두세요 "
                          "(예전 이름 evaluation_strategy 는 transformers 5에서 없어졌어요).")
    ensure(sv == ev, f"save_strategy('{sv}')가 eval_strategy('{ev}')와 달라요. "
                     "가장 좋은 체크포인트를 고르려면 평가한 시점마다 저장해야 해요.")
    ensure(answer.load_best_model_at_end, "load_best_model_at_end=True 로 두면 학습이 끝날 때 "
                                          "검증 점수가 가장 좋았던 체크포인트를 다시 불러옵니다.")
    gpu = torch.cuda.is_available()
    if answer.fp16 != gpu:
        raise Hint("fp16은 GPU가 있을 때만 켭니다. 이 컴퓨터에는 GPU가 "
                   + ("있는데 fp16이 꺼져 있어요" if gpu else "없는데 fp16=True 예요")
                   + ". 값을 직접 쓰지 말고 fp16=torch.cuda.is_available() 처럼 계산하세요.")
    ensure(not answer.bf16, "T4는 bf16을 지원하지 않아요. bf16=False(기본값)로 두고 fp16을 쓰세요.")
    strategy = getattr(answer, "train_sampling_strategy", None)
    ensure(strategy == "group_by_length",
           f"train_sampling_strategy가 '{strategy}'예요. 길이가 비슷한 예제끼리 묶으면 패딩이 줄어요: "
           "train_sampling_strategy='group_by_length' (예전 이름 group_by_length=True).")
    return ("GPU가 있으면 fp16으로, 없으면 fp32로 학습하고, 에폭마다 평가·저장한 뒤 "
            "가장 좋은 체크포인트로 끝나는 설정입니다.")


@exercise("08.3", "마지막 체크포인트 찾기")
def check_last_checkpoint(answer, output_dir):
    """`answer` is the path of the newest checkpoint folder in `output_dir`.

    Expected: transformers.trainer_utils.get_last_checkpoint(output_dir) (largest step number).
    Used in: 08_trainer.
    """
    from transformers.trainer_utils import get_last_checkpoint

    ensure(isinstance(answer, (str, Path)), f"답은 폴더 경로(str 또는 Path)여야 해요 (지금은 {type(answer).__name__}).")
    expected = get_last_checkpoint(str(output_dir))
    ensure(expected is not None, f"'{output_dir}' 에 checkpoint-N 폴더가 없어요. 학습을 먼저 실행하세요.")
    got, want = Path(answer).resolve(), Path(expected).resolve()
    if got != want:
        if got.parent == want.parent and got.name.startswith("checkpoint-"):
            raise Hint(f"'{got.name}' 보다 나중 체크포인트가 있어요. 폴더 이름을 문자열로 정렬하면 "
                       "'checkpoint-118' 이 'checkpoint-59' 보다 앞에 와요. 숫자(스텝)로 비교하세요.")
        raise Hint(f"'{got}' 는 {Path(output_dir).name} 안의 체크포인트 폴더가 아니에요. "
                   "output_dir 안의 checkpoint-N 폴더 중 하나를 고르세요.")
    return f"{want.name}: 스텝 번호가 가장 큰 체크포인트입니다 (get_last_checkpoint와 같음)."


@exercise("08.4", "이어서 학습할 스텝")
def check_resume_step(answer, checkpoint_dir):
    """`answer` is the global step that training resumes from when given `checkpoint_dir`.

    Expected: `global_step` in the checkpoint's trainer_state.json.
    Used in: 08_trainer.
    """
    state_file = Path(checkpoint_dir) / "trainer_state.json"
    ensure(state_file.is_file(), f"'{checkpoint_dir}' 에 trainer_state.json 이 없어요. checkpoint-N 폴더를 넘기세요.")
    expected = int(json.loads(state_file.read_text(encoding="utf-8"))["global_step"])
    value = as_number(answer, "스텝")
    ensure(value == expected, f"{value:g} 스텝이 아니에요. 체크포인트 폴더의 trainer_state.json 에 "
                              "학습이 멈춘 스텝(global_step)이 적혀 있어요.")
    return f"이 체크포인트에서 이어 학습하면 {expected} 스텝부터 다시 시작합니다."


def examples():
    """Right and wrong answers for each checker (tests/test_exercises.py runs them)."""
    import shutil

    import numpy as np
    import torch
    from transformers import TrainingArguments

    def right_metrics(eval_pred):
        logits, labels = eval_pred
        return _expected_metrics(logits, labels)

    def accuracy_only(eval_pred):
        logits, labels = eval_pred
        return {"accuracy": float((np.argmax(logits, axis=-1) == labels).mean())}

    def macro_f1(eval_pred):
        from sklearn.metrics import f1_score

        logits, labels = eval_pred
        pred = np.argmax(logits, axis=-1)
        return {"accuracy": float((pred == labels).mean()), "f1": f1_score(labels, pred, average="macro")}

    def wrong_axis(eval_pred):
        logits, labels = eval_pred
        pred = np.argmax(logits, axis=0)
        return {"accuracy": float((pred == labels).mean()), "f1": 0.0}

    from ..course import build_dir

    tmp = build_dir() / "exercise_examples" / LESSON   # not the system temp dir: nothing is left behind there
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    gpu = torch.cuda.is_available()

    def args(**kw):
        base = dict(output_dir=str(tmp / "args"), eval_strategy="epoch", save_strategy="epoch",
                    load_best_model_at_end=True, fp16=gpu, train_sampling_strategy="group_by_length",
                    report_to="none")
        base.update(kw)
        return TrainingArguments(**base)

    wrong_fp16 = args()
    wrong_fp16.fp16 = not gpu  # set after construction: on a CPU, fp16=True fails only later, in Trainer

    out = tmp / "run"
    for step in (59, 118):
        ck = out / f"checkpoint-{step}"
        ck.mkdir(parents=True)
        (ck / "trainer_state.json").write_text(json.dumps({"global_step": step}), encoding="utf-8")
    (out / "runs").mkdir()

    return [
        Example(check_compute_metrics, right=dict(answer=right_metrics),
                wrong=[(dict(answer=accuracy_only), "'f1'"), (dict(answer=macro_f1), "binary"),
                       dict(answer=wrong_axis), dict(answer={"accuracy": 1.0})]),
        Example(check_training_args, right=dict(answer=args()),
                wrong=[(dict(answer=args(eval_strategy="no", save_strategy="no", load_best_model_at_end=False)),
                        "eval_strategy"),
                       (dict(answer=wrong_fp16), "fp16"),
                       (dict(answer=args(load_best_model_at_end=False)), "load_best_model_at_end"),
                       (dict(answer=args(train_sampling_strategy="random")), "group_by_length"),
                       dict(answer={"eval_strategy": "epoch"})]),
        Example(check_last_checkpoint, right=dict(answer=str(out / "checkpoint-118"), output_dir=str(out)),
                wrong=[(dict(answer=str(out / "checkpoint-59"), output_dir=str(out)), "숫자"),
                       dict(answer=str(out / "runs"), output_dir=str(out)),
                       dict(answer=118, output_dir=str(out))]),
        Example(check_resume_step, right=dict(answer=59, checkpoint_dir=str(out / "checkpoint-59")),
                wrong=[dict(answer=118, checkpoint_dir=str(out / "checkpoint-59")),
                       dict(answer="59", checkpoint_dir=str(out / "checkpoint-59"))]),
    ]
