"""Gunicorn settings for a checkout: `gunicorn -c gunicorn.conf.py wsgi:app`.

The settings themselves live in academy/ops/gunicorn_config.py (documented
there), so that an installation made from the wheel has them too.
"""

from academy.ops.gunicorn_config import *  # noqa: F403
