"""The one error base class and its few children; the CLI turns any of them into `error: ...`."""


class VizffError(Exception):
    """Something the user can fix: the message says what was wrong, where, and what to do."""

    exit_code = 1


class DataError(VizffError):
    """A dataset could not be found, read or trusted."""


class IdxFormatError(DataError):
    """An IDX file's header or body is not what MNIST-format files hold."""


class DownloadError(DataError):
    """No mirror delivered a verified file."""


class ConfigError(VizffError):
    """An option or a scene-file value is out of range or of the wrong type."""

    exit_code = 2


class TrainingDiverged(VizffError):
    """The loss became NaN or infinite."""


class RenderError(VizffError):
    """A frame could not be drawn or written."""
