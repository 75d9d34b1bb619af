"""Logging: plain lines in development, one JSON object per line in production."""

from __future__ import annotations

import json
import logging
import sys

from flask import Flask


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            # exc_text when set: academy.redaction has already taken any secret out of it.
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry)


def configure(app: Flask) -> None:
    logger = logging.getLogger("academy")
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    if app.config["ACADEMY_ENV"] == "production":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
