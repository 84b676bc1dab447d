"""The built-in scenes, by name: adding a scene is one module and one line here."""

from vizff.scenes.base import DataScene, Scene, TrainingScene
from vizff.scenes.card import Card
from vizff.scenes.gradients import Gradients
from vizff.scenes.loss import Loss
from vizff.scenes.mosaic import Mosaic
from vizff.scenes.sigmoid import Sigmoid
from vizff.scenes.softmax import Softmax
from vizff.scenes.weights import Weights

SCENES: dict[str, type[Scene]] = {
    "mosaic": Mosaic,
    "sigmoid": Sigmoid,
    "softmax": Softmax,
    "weights": Weights,
    "loss": Loss,
    "gradients": Gradients,
    "card": Card,
}

__all__ = ["SCENES", "DataScene", "Scene", "TrainingScene"]
