"""Printable packs (session packs and member workbooks), rendered by WeasyPrint."""
