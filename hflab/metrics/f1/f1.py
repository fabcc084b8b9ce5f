"""F1: the harmonic mean of precision and recall.

The course's own evaluate metric module. `evaluate.load("f1")` downloads its module from the
Hub; `hflab mirror` installs this file into evaluate's module cache so the same call works
offline. Same arguments and output key as the Hub's `evaluate-metric/f1`.
"""
import datasets
import evaluate
from sklearn.metrics import f1_score

_DESCRIPTION = "F1 = 2 * (precision * recall) / (precision + recall). hflab offline module."
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of int): predicted labels.
    references (list of int): ground truth labels.
    labels (list of int): labels to include when average != 'binary'.
    pos_label (int): the positive class for average='binary'. Default 1.
    average (str): 'binary' (default), 'micro', 'macro', 'weighted', 'samples' or None.
    sample_weight (list of float): sample weights.
Returns:
    f1 (float or array of float)
Examples:
    >>> evaluate.load("f1").compute(references=[0, 1, 1], predictions=[0, 1, 0])
    {'f1': 0.6666666666666666}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class F1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("int32")),
                    "references": datasets.Sequence(datasets.Value("int32")),
                }
                if self.config_name == "multilabel"
                else {
                    "predictions": datasets.Value("int32"),
                    "references": datasets.Value("int32"),
                }
            ),
            reference_urls=["https://scikit-learn.org/stable/modules/generated/sklearn.metrics.f1_score.html"],
        )

    def _compute(self, predictions, references, labels=None, pos_label=1, average="binary", sample_weight=None):
        score = f1_score(
            references, predictions, labels=labels, pos_label=pos_label, average=average, sample_weight=sample_weight
        )
        return {"f1": float(score) if getattr(score, "size", 1) == 1 else score}
