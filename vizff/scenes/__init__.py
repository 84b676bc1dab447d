"""The built-in scenes, by name: adding a scene is one module and one line here."""

from vizff.scenes.base import DataScene, Scene, TrainingScene
from vizff.scenes.card import Card
from vizff.scenes.forward import Forward
from vizff.scenes.gradients import Gradients
from vizff.scenes.loss import Loss
from vizff.scenes.mosaic import Mosaic
from vizff.scenes.predictions import Predictions
from vizff.scenes.sigmoid import Sigmoid
from vizff.scenes.softmax import Softmax
from vizff.scenes.weights import Weights

SCENES: dict[str, type[Scene]] = {  # in the lesson's order
    "mosaic": Mosaic,  # the input
    "forward": Forward,  # the network
    "sigmoid": Sigmoid,  # the activation
    "softmax": Softmax,  # the output
    "gradients": Gradients,  # the gradient: numerical against back-propagation
    "weights": Weights,  # gradient descent fitting the weights
    "loss": Loss,  # gradient descent lowering the loss
    "predictions": Predictions,  # the results
    "card": Card,  # a storyboard's title, section and end cards
}

__all__ = ["SCENES", "DataScene", "Scene", "TrainingScene"]
