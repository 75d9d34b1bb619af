"""The child process that renders certificates (see ``academy.certificates.isolated``).

Run as ``python -m academy.certificates.child TEMPLATE_DIR MEMORY_MB``: it caps its
own address space, loads the template once, says ("ready", None), then answers each pickled
CertificateContent on stdin with ("pdf", bytes), ("layout", message),
("memory", "") or ("error", message) on stdout, until stdin closes.
"""

from __future__ import annotations

import os
import resource
import sys

NICENESS = 10


def limit_memory(megabytes: int) -> None:
    """Cap this process's address space: past it, allocations fail here, not in the parent."""
    limit = megabytes * 1024 * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main(argv: list[str]) -> int:
    template_dir, memory_mb = argv[0], int(argv[1])
    # Only ours: stdout carries the frames, so nothing else may print to it.
    out = sys.stdout.buffer
    sys.stdout = sys.stderr
    inp = sys.stdin.buffer
    limit_memory(memory_mb)

    from academy.certificates.isolated import read_frame, write_frame
    from academy.certificates.render import CertificateLayoutError, CertificateRenderer

    renderer = CertificateRenderer(template_dir)
    # Rendering is background work: on a busy machine members' requests come first.
    # (Only now: starting up niced on a loaded machine would take far longer.)
    os.nice(NICENESS)
    write_frame(out, ("ready", None))
    while True:
        try:
            content = read_frame(inp)
        except EOFError:
            return 0
        try:
            answer = ("pdf", renderer.render(content))
        except CertificateLayoutError as error:
            answer = ("layout", str(error))
        except MemoryError:
            # The heap may be in any state: answer, then let the parent start afresh.
            write_frame(out, ("memory", ""))
            return 1
        except Exception as error:  # noqa: BLE001 - reported to the parent, which decides
            answer = ("error", f"{type(error).__name__}: {error}"[:500])
        write_frame(out, answer)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
