"""One engine per task: it loads the model, validates a request into a :class:`Job` and runs batches of jobs."""
from .base import Engine, Job
from .classifier import ClassifierEngine
from .embedding import EmbeddingEngine
from .fill_mask import FillMaskEngine
from .generator import GeneratorEngine

#: the engine class of each task (the keys are hflab.serve.TASKS)
_ENGINES = {
    "text-classification": ClassifierEngine,
    "feature-extraction": EmbeddingEngine,
    "fill-mask": FillMaskEngine,
    "text-generation": GeneratorEngine,
}

__all__ = ["Engine", "Job", "ClassifierEngine", "EmbeddingEngine", "FillMaskEngine", "GeneratorEngine"]
