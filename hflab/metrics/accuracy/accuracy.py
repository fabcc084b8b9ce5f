"""Accuracy: the share of predictions equal to the references.

The course's own evaluate metric module. `evaluate.load("accuracy")` downloads its module
from the Hub; `hflab mirror` installs this file into evaluate's module cache so the same call
works offline. Same inputs and output key as the Hub's `evaluate-metric/accuracy`.
"""
import datasets
import evaluate
from sklearn.metrics import accuracy_score

_DESCRIPTION = "Accuracy = (correct predictions) / (all predictions). hflab offline module."
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of int): predicted labels.
    references (list of int): ground truth labels.
    normalize (bool): if False, return the number of correct predictions. Default True.
    sample_weight (list of float): sample weights. Default None.
Returns:
    accuracy (float or int)
Examples:
    >>> evaluate.load("accuracy").compute(references=[0, 1], predictions=[0, 1])
    {'accuracy': 1.0}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Accuracy(evaluate.Metric):
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
            reference_urls=["https://scikit-learn.org/stable/modules/generated/sklearn.metrics.accuracy_score.html"],
        )

    def _compute(self, predictions, references, normalize=True, sample_weight=None):
        return {
            "accuracy": float(
                accuracy_score(references, predictions, normalize=normalize, sample_weight=sample_weight)
            )
        }
