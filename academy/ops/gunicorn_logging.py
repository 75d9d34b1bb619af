"""Gunicorn's own logs as one JSON object per line, like the app's in production."""

from __future__ import annotations

import json
import logging
import os
import traceback
from datetime import UTC, datetime

from gunicorn.glogging import Logger

from academy.logging_setup import JsonFormatter
from academy.redaction import redact


def redact_path(path: str, query: str = "") -> str:
    """The path (and query string) of an access line, with every secret redacted.

    Which parts are secrets is declared by route (academy.access.SECRET_URL_ARGUMENTS);
    a log line must not hand a working link to whoever reads the logs.
    """
    return redact(path + ("?" + query if query else ""))


class JsonLogger(Logger):
    """Error log through the app's JsonFormatter; access log built with json.dumps.

    Building the line with json.dumps (not an access_log_format template) keeps
    it valid JSON whatever a client puts in its request line or User-Agent.
    """

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
        for handler in self.access_log.handlers:
            handler.setFormatter(logging.Formatter("%(message)s"))

    def access(self, resp, req, environ, request_time) -> None:  # noqa: ARG002
        if not self.access_log_enabled:
            return
        try:
            status = resp.status
            entry = {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "level": "INFO",
                "logger": "gunicorn.access",
                "remote": environ.get("REMOTE_ADDR"),
                "method": environ.get("REQUEST_METHOD"),
                "path": redact_path(environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")),
                "status": int(str(status).split(None, 1)[0]),
                "bytes": getattr(resp, "sent", None),
                "duration_ms": round(request_time.total_seconds() * 1000, 2),
                "pid": os.getpid(),
            }
            self.access_log.info(json.dumps(entry))
        except Exception:
            self.error(traceback.format_exc())
