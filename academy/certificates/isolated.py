"""Certificate rendering in a child process, with a time limit and a memory limit.

WeasyPrint lays out whatever it is given: a template (or a holder's name) that
makes it slow or greedy, such as an SVG that expands exponentially or
``font-size: 1e9px``, would otherwise hold a web or worker process, its memory
and whatever it had open. So every render happens in a child process
(``python -m academy.certificates.child``) that

- caps its own address space (``RLIMIT_AS``, ``CERTIFICATE_RENDER_MEMORY_MB``)
  before it loads WeasyPrint, so a greedy render fails there, not in the parent;
- is given ``CERTIFICATE_RENDER_SECONDS`` of wall-clock time per certificate, after
  which the parent kills it and starts a fresh one for the next render.

The child lives on between renders (starting Python and WeasyPrint takes about a
second; a render about a fifth of that), so a cohort's batch pays for it once.
Requests and certificates travel as pickles over the child's stdin and stdout:
both ends are this module, and the child runs the same code as the parent.

No Flask and no database here: the caller reads what it needs and closes its
transaction before calling :meth:`IsolatedRenderer.render` (see
``academy.services.certificates.pdfs``).
"""

from __future__ import annotations

import logging
import os
import pickle
import selectors
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from academy.certificates.render import DEFAULT_TEMPLATE_DIR, CertificateContent

log = logging.getLogger(__name__)

DEFAULT_SECONDS = 20.0
DEFAULT_MEMORY_MB = 768
# How long a fresh child may take to import WeasyPrint and load the template, on
# top of the render's own limit (a second when idle; far more on a loaded machine).
START_SECONDS = 60.0

_FRAME = struct.Struct("!I")


class RenderFailed(Exception):
    """The certificate could not be rendered; `reason` says why, for staff."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RenderTimedOut(RenderFailed):
    """The render ran past its time limit and was stopped."""


class RenderOutOfMemory(RenderFailed):
    """The render needed more memory than allowed (or the child died)."""


class RenderDoesNotFit(RenderFailed):
    """The content does not fit the template's single page."""


@dataclass(frozen=True)
class Limits:
    seconds: float = DEFAULT_SECONDS
    memory_mb: int = DEFAULT_MEMORY_MB


def write_frame(stream, payload: object) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_FRAME.pack(len(data)) + data)
    stream.flush()


def read_frame(stream) -> object:
    """One framed pickle from `stream`; EOFError if the other end has gone."""
    header = stream.read(_FRAME.size)
    if len(header) < _FRAME.size:
        raise EOFError
    (size,) = _FRAME.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)  # noqa: S301 - our own child, over a private pipe


class IsolatedRenderer:
    """Renders certificates in one child process at a time, within `limits`.

    Thread-safe: renders are serialised (one child, one certificate at a time),
    as WeasyPrint's font configuration required in-process anyway.
    """

    def __init__(self, template_dir: Path = DEFAULT_TEMPLATE_DIR, limits: Limits = Limits()):
        self.template_dir = Path(template_dir).resolve(strict=True)
        self.limits = limits
        self._child: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def render(self, content: CertificateContent) -> bytes:
        """The certificate's PDF, or RenderFailed (timed out, out of memory, does not
        fit, or broke) with a reason staff can act on."""
        with self._lock:
            child = self._running_child()
            try:
                write_frame(child.stdin, content)
            except (BrokenPipeError, OSError):
                self._stop()
                raise RenderOutOfMemory(self._died_reason()) from None
            if not self._wait_readable(child, self.limits.seconds):
                self._stop()
                log.warning(
                    "certificate %s: render stopped after %ss", content.number, self.limits.seconds
                )
                raise RenderTimedOut(
                    f"Rendering took longer than {self.limits.seconds:g} seconds and was "
                    "stopped. Check the name and the certificate template, then try again."
                )
            try:
                kind, value = read_frame(child.stdout)
            except (EOFError, pickle.UnpicklingError):
                self._stop()
                raise RenderOutOfMemory(self._died_reason()) from None
            if kind == "memory":
                self._stop()  # it exits anyway: its heap may be in any state
                raise RenderOutOfMemory(self._died_reason())
        if kind == "pdf":
            return value
        if kind == "layout":
            raise RenderDoesNotFit(value)
        raise RenderFailed(f"Rendering failed: {value}")

    def _died_reason(self) -> str:
        return (
            f"Rendering needed more than {self.limits.memory_mb} MB of memory (or crashed) "
            "and was stopped. Check the name and the certificate template, then try again."
        )

    def _running_child(self) -> subprocess.Popen:
        if self._child is not None and self._child.poll() is None:
            return self._child
        self._child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "academy.certificates.child",
                str(self.template_dir),
                str(self.limits.memory_mb),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # Tracebacks and WeasyPrint's warnings go to our stderr (the process log).
            stderr=None,
            close_fds=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        # A fresh child first loads WeasyPrint and the template, which is not the
        # render's time: it says when it is ready.
        try:
            if not self._wait_readable(self._child, START_SECONDS):
                raise EOFError
            read_frame(self._child.stdout)
        except (EOFError, pickle.UnpicklingError):
            self._stop()
            raise RenderFailed(
                "The certificate renderer did not start; the server's log says why."
            ) from None
        return self._child

    @staticmethod
    def _wait_readable(child: subprocess.Popen, seconds: float) -> bool:
        """Whether the child's answer starts within `seconds` (epoll where there is
        one: a busy web process may hold more than select's 1,024 descriptors)."""
        with selectors.DefaultSelector() as selector:
            selector.register(child.stdout, selectors.EVENT_READ)
            return bool(selector.select(timeout=seconds))

    def _stop(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        child.kill()
        child.wait()
        for stream in (child.stdin, child.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def close(self) -> None:
        """Stop the child (a new one starts at the next render)."""
        self._stop()


_current: IsolatedRenderer | None = None
_current_lock = threading.Lock()


def isolated_renderer(
    template_dir: Path = DEFAULT_TEMPLATE_DIR, limits: Limits = Limits()
) -> IsolatedRenderer:
    """This process's renderer for `template_dir` and `limits`, made on first use.

    One per process: asked for another template or other limits, the old one's
    child is stopped. Call it lazily (in a request or a job), never at import
    time, so that each worker process starts its own child after the fork.
    """
    global _current
    template_dir = Path(template_dir).resolve(strict=True)
    with _current_lock:
        current = _current
        if current is None or (current.template_dir, current.limits) != (template_dir, limits):
            if current is not None:
                current.close()
            current = _current = IsolatedRenderer(template_dir, limits)
        return current
