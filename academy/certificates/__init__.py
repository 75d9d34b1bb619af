"""Certificate PDFs: rendering a template from ``certificates/`` with WeasyPrint.

The public API lives in :mod:`academy.certificates.render`.
"""
