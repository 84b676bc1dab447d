"""Atomic output: write beside the target under a temporary name, rename only when complete.

A temporary is named `.vizff-<pid>-<random>` after the process that writes it. A process killed
outright (SIGKILL, a power cut) cannot remove its own, so `sweep_stale` removes those whose
process is gone, and nothing else.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from vizff.errors import OptionError, RenderError
from vizff.interrupts import critical

# the outputs this command has put in place, in order: an interrupt says which (`vizff render
# --all` stopped at its third file has written two); the CLI empties it as it starts
WRITTEN: dict[str, None] = {}

TEMP_PREFIX = ".vizff-"  # temporary files start with this, so they are easy to recognise
# .vizff-<pid>-<8 of tempfile's characters>[.ext], exactly as mkstemp and mkdtemp name them:
# a user's `.vizff-123-notes.txt` is not one
STALE = re.compile(r"\.vizff-([1-9][0-9]{0,9})-[a-z0-9_]{8}(\.[A-Za-z0-9]{1,8})?\Z")


SOURCES = {"sample": "the embedded sample", "mnist": "the MNIST download cache"}


def data_source(text: str) -> str:
    """A `data` value as meant: any spelling of sample or mnist (`MNIST`, ` Sample`) is that
    source, wherever it is used; a folder of that name is written as a path (`./mnist`), so a
    scene file means the same data in every working directory. Anything else as written."""
    if text.strip().lower() in SOURCES:
        return text.strip().lower()
    return text


def folder_also_named(text: str, base: str | os.PathLike[str] = ".") -> Path | None:
    """The folder a source's name also names where it is used (`mnist/` beside
    `--data mnist`), which the source does not read; None where there is none."""
    if not isinstance(text, str) or text.strip().lower() not in SOURCES:
        return None
    for name in dict.fromkeys((text, text.strip())):
        if os.path.isdir(Path(base) / name):
            return Path(base) / name
    return None


def also_named_note(named: str, text: str, folder: Path) -> str:
    """Says that `named` (`--data mnist`, `a.toml: data = "mnist"`) reads a source, not the
    folder of the same name, and how to read the folder."""
    shown = folder if folder.is_absolute() or str(folder).startswith(".") else f"./{folder}"
    return (
        f"{named} reads {SOURCES[data_source(text)]}, not the folder {shown}: "
        f"write ./{text.strip()} (a path) to read that folder"
    )


def home_path(text: str | os.PathLike[str], key: str, source=None) -> Path:
    """A path as the shell reads it: `~/x` in the user's home, `~name/x` in name's. A `~name`
    this system does not know is the user's error, named by `key` as `source` (the command
    line, a scene file) has it (Python raised RuntimeError)."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        raise OptionError(
            key,
            "starts with ~name, a user this system does not know; write the folder in full",
            value=str(text),
            source=source,
        ) from None


GENERATOR = '<meta name="generator" content="vizff">'  # in every page vizff writes


LESSON_MARK = '<meta name="vizff-page" content="lesson">'  # a lesson's index, not `vizff page`'s
PAGE_SECTION = b"<section data-file="  # how `vizff page` shows each render


def written_by_vizff(page: Path) -> bool:
    """Whether an HTML page is one vizff wrote (its generator tag near the top): only those
    are replaced, and only the files they list are ever removed."""
    try:
        with open(page, "rb") as handle:
            return GENERATOR.encode() in handle.read(4096)
    except OSError:
        return False


def lesson_index(page: Path) -> bool:
    """Whether an HTML page is the index a storyboard wrote in its folder: the lesson's parts
    (which a new render of it may remove), not `vizff page`'s listing of someone's renders.
    Marked since 2026-11-30; an earlier one is told by having no `vizff page` section."""
    try:
        text = page.read_bytes()
    except OSError:
        return False
    if GENERATOR.encode() not in text[:4096]:  # as written_by_vizff reads it, in one read
        return False
    return LESSON_MARK.encode() in text[:4096] or (b"<ol>" in text and PAGE_SECTION not in text)


@contextmanager
def staged_as(staged: Path, shown: Path) -> Iterator[None]:
    """RenderErrors inside name `shown` (the user's output) where they named `staged`, a
    temporary of vizff's own that the user never asked for and that is gone by then."""
    try:
        yield
    except RenderError as error:
        text = str(error)
        if str(staged) not in text:
            raise
        raise RenderError(text.replace(str(staged), str(shown))) from None


def temp_prefix() -> str:
    """`.vizff-<pid>-`: the start of this process's temporary names."""
    return f"{TEMP_PREFIX}{os.getpid()}-"


def reason(exc: OSError) -> str:
    """`No space left on device`: an OSError as one short phrase, without its file name (and
    for too many open files, the limit and how to raise it)."""
    said = exc.strerror or str(exc)
    if exc.errno == errno.EFBIG and said == os.strerror(errno.EFBIG):
        return file_too_large()
    if exc.errno == errno.EMFILE:
        limit = soft_limit("NOFILE")
        if limit is None:
            return said
        return f"{said}: {limit} at once here; raise the limit, e.g. ulimit -n 1024"
    return said


def soft_limit(name: str) -> int | None:
    """This process's limit `RLIMIT_<name>` (NOFILE, FSIZE, AS: what `ulimit` sets), or None
    where there is none or it cannot be read."""
    try:
        import resource

        limit = resource.getrlimit(getattr(resource, f"RLIMIT_{name}"))[0]
    except (ImportError, AttributeError, OSError, ValueError):
        return None
    return None if limit == resource.RLIM_INFINITY else limit


def file_too_large() -> str:
    """`File too large`, and where it is this process's file size limit (`ulimit -f`), that
    limit and how to raise it (else it is the file system's own largest file)."""
    said = os.strerror(errno.EFBIG)
    limit = soft_limit("FSIZE")
    if limit is None:
        return f"{said} for this file system; write it to another"
    return (
        f"{said}: past the file size limit here, {limit:,} bytes; raise it, e.g. "
        "ulimit -f unlimited"
    )


def make_dirs(folder: Path, name: str) -> list[Path]:
    """Create `folder` and its missing parents; return the ones created, innermost first."""
    missing = [d for d in (folder, *folder.parents) if not os.path.lexists(d)]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RenderError(f"{name}: cannot create directory {folder} ({reason(exc)})") from None
    return missing


def remove_dirs(made: list[Path]) -> None:
    """Remove directories that `make_dirs` created, innermost first, where they are empty."""
    for folder in made:
        with suppress(OSError):
            folder.rmdir()  # never removes anything that something else put there


def sweep_stale(folder: Path) -> list[Path]:
    """Remove `.vizff-<pid>-*` temporaries in `folder` whose process is gone; return them."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    removed = []
    for name in names:
        match = STALE.match(name)
        if match is None or _running(int(match[1])):
            continue
        path = folder / name
        with suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
    return removed


def _running(pid: int) -> bool:
    """Whether process `pid` exists; anything short of a certain "no" counts as yes."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # EPERM: someone else's process; a pid too large to ask
        return True
    return True


SPECIAL = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
           (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))  # fmt: skip


def special_problem(path: Path) -> str | None:
    """Why `path` (through a link) is no file to replace: a named pipe, socket or device. A
    reader waiting on a pipe would wait for ever once it was replaced by a file."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # nothing there (or a link to nothing: link_problem's to say)
    for test, name in SPECIAL:
        if test(mode):
            return f"is {name}, not a file; name a new file for the render"
    return None


def read_only_problem(path: Path) -> str | None:
    """Why a file (through a link) is kept as it is: nobody may write it (`chmod a-w`). A
    render replaces its output by renaming a new file over it, which a file's own mode
    does not stop (and root may write anything): the mode is taken as what its owner
    meant, as `cp` and editors take it."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if stat.S_ISREG(st.st_mode) and not st.st_mode & 0o222:
        return (
            f"is read-only (mode {stat.S_IMODE(st.st_mode):o}), so vizff leaves it as it is; "
            f"make it writable (chmod u+w) or name another file"
        )
    return None


def parent_problem(path: Path) -> str | None:
    """Why the folders on the way to `path` cannot be made: one of them is a file."""
    for parent in Path(path).parents:
        if os.path.isdir(parent):
            return None
        if os.path.lexists(parent):
            return f"{parent} is a file, not a folder, so nothing can be written under it"
    return None


def link_problem(path: Path) -> str | None:
    """Why an output that is a symbolic link cannot be written through, or None. A link is
    written through (the link stays, the file it names is replaced) only where it names a
    file of the output's own format, or a new one in a folder that exists: never another
    kind of file, and no folders are made where a link points."""
    if not os.path.islink(path):
        return None
    real = Path(os.path.realpath(path))
    suffix = Path(path).suffix.lower()
    if real.suffix.lower() != suffix or (os.path.lexists(real) and not real.is_file()):
        return (
            f"is a link to {real}, not to a {suffix} file vizff may replace; remove the link, "
            f"or point it at a {suffix} file"
        )
    if not real.parent.is_dir():
        return f"is a link to {real}, in a folder that does not exist; remove or mend the link"
    return None


class Staged:
    """A temporary file or folder beside `target`: `commit()` puts it in place, `discard()`
    removes it (and the directories made for it when `tidy`). `name` is how messages say
    which output this is."""

    def __init__(self, target: Path, *, folder: bool = False, name: str = "", tidy: bool = True):
        self.name = name or str(target)
        self.shown = str(target)  # as the user named it, link or not
        if os.path.islink(target):  # write through a link, as an editor does: the link stays
            target = Path(os.path.realpath(target))  # and the file it names is replaced
        self.target, self.folder, self.tidy = target, folder, tidy
        self.made = make_dirs(target.parent, self.name)
        try:
            if folder:
                self.path = Path(tempfile.mkdtemp(prefix=temp_prefix(), dir=target.parent))
            else:
                fd, path = tempfile.mkstemp(
                    prefix=temp_prefix(), suffix=target.suffix, dir=target.parent
                )
                os.close(fd)
                self.path = Path(path)
        except OSError as exc:
            self._tidy()
            raise RenderError(
                f"{self.name}: cannot write in {target.parent} ({reason(exc)})"
            ) from None

    def commit(self) -> None:
        """Rename the finished temporary into place; OSError when that fails. A Ctrl-C or
        `kill` that comes meanwhile waits until it is done (and the output is recorded as
        written), so an interrupt never leaves half a folder, nor a message that is wrong."""
        with critical():
            if self.folder:
                self._commit_folder()
            else:
                os.chmod(self.path, _mode_of(self.target, 0o666))
                os.replace(self.path, self.target)
            if not self.target.parent.name.startswith(TEMP_PREFIX):  # a lesson's parts are
                WRITTEN[self.shown] = None  # not outputs until the lesson is

    def _commit_folder(self) -> None:
        os.chmod(self.path, _mode_of(self.target, 0o777))
        if not os.path.lexists(self.target):
            os.rename(self.path, self.target)  # a new folder appears whole
            return
        new = sorted(os.listdir(self.path))
        for done, name in enumerate(new):  # each file is replaced in one rename
            try:
                os.replace(self.path / name, self.target / name)
            except OSError as exc:
                if not done:
                    raise  # nothing replaced yet: the old output is whole
                raise RenderError(
                    f"{self.name}: writing failed ({reason(exc)}) after {done} of {len(new)} "
                    f"files were replaced: {self.shown} holds new and old ones; render again"
                ) from None
        for old in self.target.glob("frame_*.png"):  # old frames go last
            if old.name not in new:
                old.unlink()
        self.path.rmdir()

    def discard(self) -> None:
        """Remove the temporary, leaving the target as it was."""
        if self.folder:
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            with suppress(OSError):
                self.path.unlink()
        self._tidy()

    def _tidy(self) -> None:
        if self.tidy:
            remove_dirs(self.made)


def _mode_of(target: Path, default: int) -> int:
    """The permission bits `target` has now, or `default` less the umask for a new one."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return default & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(
    target: str | os.PathLike[str], *, option: str = "--out", name: str = ""
) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one rename.

    On any exception (KeyboardInterrupt included) the temporary file is removed and `target`
    is left exactly as it was. Directories created for it stay. Messages name it `name`, else
    `{option} {target}`.
    """
    target = Path(target)
    staged = Staged(target, name=name or f"{option} {target}", tidy=False)
    with writing(staged):
        yield staged.path
        staged.commit()


@contextmanager
def writing(staged: Staged) -> Iterator[None]:
    """Work on `staged`: on any exception it is removed; an OSError becomes one RenderError
    naming the output (`--poster x.poster.png: writing failed (No space left on device)`)."""
    try:
        yield
    except OSError as exc:
        staged.discard()
        raise RenderError(f"{staged.name}: writing failed ({reason(exc)})") from None
    except BaseException:
        staged.discard()
        raise
