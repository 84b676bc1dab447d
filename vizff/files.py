"""Atomic output: write beside the target under a temporary name, rename only when complete."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vizff.errors import RenderError

TEMP_PREFIX = ".vizff-"  # temporary files start with this, so they are easy to recognise


def ensure_parent(path: Path, option: str = "--out") -> None:
    """Create the target's directory, or say why it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RenderError(
            f"{option} {path}: cannot create directory {path.parent} ({exc.strerror or exc})"
        ) from None


@contextmanager
def atomic_path(target: str | os.PathLike[str], *, option: str = "--out") -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one rename.

    On any exception (KeyboardInterrupt included) the temporary file is removed and `target`
    is left exactly as it was.
    """
    target = Path(target)
    ensure_parent(target, option)
    try:
        fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=target.suffix, dir=target.parent)
    except OSError as exc:
        raise RenderError(
            f"{option} {target}: cannot write in {target.parent} ({exc.strerror or exc})"
        ) from None
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        os.chmod(temp, 0o644 & ~_umask())
        os.replace(temp, target)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise RenderError(f"{option} {target}: writing failed ({exc.strerror or exc})") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
