"""Time one certificate: WeasyPrint alone against the full CertificateRenderer.write.

    .venv/bin/python bench/cert_render.py [-n 20] [--template certificates/default]

(a) baseline: the template already rendered to HTML by Jinja, then only
    ``weasyprint.HTML(string=html, base_url=...).write_pdf(stylesheets=[css],
    font_config=fc)`` with the parsed CSS and FontConfiguration reused, as
    DESIGN.md's recipe does;
(b) ``CertificateRenderer.write``: Jinja, the QR code, the same WeasyPrint render
    with the restricted URL fetcher, the one-page check and the atomic, fsynced
    store on disk.

The target is (b) <= 1.5 x (a). The runs alternate (a, b, a, b …) after a
warm-up of each, so that drift in the machine's speed hits both alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import weasyprint

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from academy.certificates.render import (  # noqa: E402
    DEFAULT_TEMPLATE_DIR,
    CertificateContent,
    CertificateRenderer,
)

CONTENT = CertificateContent(
    number="OA-2026-000123",
    holder_name="Siân O'Connell-Adebayo",
    course_title="Community organising",
    level="intermediate",
    credit_hours=10,
    academy_name="North West Organising Academy",
    issued_on=dt.date(2026, 11, 21),
    expires_on=dt.date(2028, 11, 21),
    issuer_name="Maria Kowalczyk",
    verify_url="https://academy.example.org/verify/7QK2-M9XD-4HTR-PW3B",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="timed renders of each kind")
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE_DIR)
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="where (b) stores its PDF; put it on the certificate store's disk, as fsync "
        "costs differ (default: the system's temporary folder)",
    )
    parser.add_argument("--save", type=Path, help="also store the sample certificate here")
    args = parser.parse_args()

    renderer = CertificateRenderer(args.template)
    # The baseline gets what WeasyPrint alone needs: finished HTML, the parsed
    # stylesheet and one font configuration, all made outside the timing.
    html = renderer.html(CONTENT)
    css = renderer.stylesheet
    font_config = renderer.font_config
    base_url = renderer.base_url

    def weasyprint_alone() -> bytes:
        return weasyprint.HTML(string=html, base_url=base_url).write_pdf(
            stylesheets=[css], font_config=font_config
        )

    with tempfile.TemporaryDirectory(prefix="cert-bench-", dir=args.out_dir) as out:
        target = Path(out) / "certificate.pdf"

        def full_write() -> None:
            renderer.write(CONTENT, target)

        weasyprint_alone()
        full_write()
        alone, full = [], []
        for _ in range(args.n):
            start = time.perf_counter()
            weasyprint_alone()
            alone.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            full_write()
            full.append((time.perf_counter() - start) * 1000)
        size = target.stat().st_size
        if args.save:
            args.save.write_bytes(target.read_bytes())

    def row(name: str, times: list[float]) -> str:
        return (
            f"{name:<34} mean {statistics.mean(times):7.1f} ms   "
            f"median {statistics.median(times):7.1f} ms   "
            f"min {min(times):7.1f} ms"
        )

    print(f"{args.n} renders each, template {args.template}, PDF {size / 1024:.0f} KiB")
    print(row("(a) WeasyPrint alone", alone))
    print(row("(b) CertificateRenderer.write", full))
    ratio_mean = statistics.mean(full) / statistics.mean(alone)
    ratio_median = statistics.median(full) / statistics.median(alone)
    verdict = "OK" if ratio_median <= 1.5 else "OVER TARGET"
    print(
        f"ratio (b)/(a): mean {ratio_mean:.2f}x, median {ratio_median:.2f}x "
        f"(target <= 1.5x): {verdict}"
    )


if __name__ == "__main__":
    main()
