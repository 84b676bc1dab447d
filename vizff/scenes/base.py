"""What every scene shares: its options, its parameters, and the training-scene plumbing."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from vizff.data import Digits, load_digits
from vizff.errors import ConfigError
from vizff.train import Snapshot, TrainConfig, train


@dataclass(frozen=True)
class Param:
    """A scene-specific option: its type, default, accepted range and a one-line help."""

    kind: type
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def check(self, key: str, value: Any) -> Any:
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.kind) or (self.kind is int and isinstance(value, bool)):
            raise ConfigError(
                f"{key}: expected {self.kind.__name__}, got {type(value).__name__} {value!r}"
            )
        if self.kind is float and not math.isfinite(value):
            raise ConfigError(f"{key}: must be a finite number, got {value!r}")
        if self.choices and value not in self.choices:
            raise ConfigError(f"{key}: must be one of {', '.join(self.choices)}, got {value!r}")
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            raise ConfigError(f"{key}: must be {self.low:g}..{self.high:g}, got {value!r}")
        return value


@dataclass(frozen=True)
class SceneOptions:
    """Everything a scene needs to draw its frames (the output's options live with the writer)."""

    size: tuple[int, int] = (640, 360)  # pixels, width x height
    seed: int = 0
    data: str = "sample"  # sample | mnist | a directory
    train: Mapping[str, Any] = field(default_factory=dict)  # TrainConfig keywords given
    steps: int | None = None  # training scenes: gradient steps (None: the scene's default)
    every: int | None = None  # training scenes: one frame per `every` steps
    params: Mapping[str, Any] = field(default_factory=dict)  # scene-specific, checked by Param


class Scene:
    """One animation: `frame_count()` frames of `options.size`, produced by `frames()`."""

    name: ClassVar[str]
    summary: ClassVar[str]
    PARAMS: ClassVar[dict[str, Param]] = {}
    default_hold: ClassVar[float] = 1.5  # seconds on the last frame

    def __init__(self, options: SceneOptions = SceneOptions()):
        self.options = options
        self.size = options.size
        if not 0 <= options.seed < 2**63:
            raise ConfigError(f"--seed {options.seed}: must be 0 or more")
        unknown = set(options.params) - set(self.PARAMS)
        if unknown:
            raise ConfigError(
                f"{', '.join(sorted(unknown))}: not an option of scene {self.name}; "
                f"its options are {', '.join(self.PARAMS) or 'none'}"
            )
        self.params = {
            key: param.check(key, options.params.get(key, param.default))
            for key, param in self.PARAMS.items()
        }

    def load(self) -> None:
        """Read what the frames need (a dataset), so its errors come before any file is opened."""

    def frame_count(self) -> int:
        raise NotImplementedError

    def frames(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    @property
    def palette(self) -> np.ndarray | None:
        """The colours this scene draws with (for GIF); None lets the writer choose."""
        return None


class TrainingScene(Scene):
    """A scene driven by `train()`: one frame per `every` steps, always ending on the last."""

    default_steps: ClassVar[int] = 300
    default_every: ClassVar[int] = 3
    default_train: ClassVar[dict[str, Any]] = {}
    shows_test_accuracy: ClassVar[bool] = True  # evaluate on the test split at every frame

    def __init__(self, options: SceneOptions = SceneOptions()):
        super().__init__(options)
        self._digits: Digits | None = None
        settings = {**self.default_train, "seed": options.seed, **options.train}
        epochs = settings.pop("epochs", None)
        self.steps = self._steps(options.steps, epochs, settings)
        self.every = options.every if options.every is not None else self.default_every
        if not 1 <= self.every <= self.steps:
            raise ConfigError(
                f"--every {self.every}: must be 1..{self.steps} (the number of "
                "steps), one frame per that many steps"
            )
        evaluate = self.every if self.shows_test_accuracy else 0
        self.config = TrainConfig(**settings, steps=self.steps, eval_every=evaluate)

    def _steps(self, steps: int | None, epochs: int | None, settings: dict[str, Any]) -> int:
        """Gradient steps from --steps, or from --epochs over this dataset, or the default."""
        if steps is not None and epochs is not None:
            raise ConfigError("--epochs and --steps: give one or the other, not both")
        if epochs is not None:
            if epochs < 1:
                raise ConfigError(f"--epochs {epochs}: must be at least 1")
            batch = settings.get("batch_size", TrainConfig.batch_size)
            if batch < 1:
                raise ConfigError(f"--batch-size {batch}: must be at least 1")
            steps = epochs * math.ceil(len(self.digits.train_labels) / batch)
        steps = self.default_steps if steps is None else steps
        if steps < 1:
            raise ConfigError(f"--steps {steps}: a training scene needs at least 1 step")
        return steps

    def load(self) -> None:
        self.digits  # noqa: B018 (reads and caches the dataset)

    @property
    def digits(self) -> Digits:
        if self._digits is None:
            self._digits = load_digits(self.options.data)
        return self._digits

    def frame_count(self) -> int:
        return math.ceil(self.steps / self.every)

    def is_frame(self, snapshot: Snapshot) -> bool:
        """Steps every, 2*every, ... and the last one become frames."""
        return snapshot.step % self.every == 0 or snapshot.step == self.steps

    def frame_snapshots(self, config: TrainConfig | None = None) -> Iterator[Snapshot]:
        """The snapshots that become frames."""
        return filter(self.is_frame, train(self.digits, config or self.config))

    def quiet_config(self) -> TrainConfig:
        """The same run without test evaluations: for a pre-pass that only measures weights."""
        return replace(self.config, eval_every=0)
