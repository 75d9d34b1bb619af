"""The Redis settings the job queue needs, checked once at start-up.

RQ keeps queued jobs (e-mails, certificate batches) in Redis. A Redis that
evicts keys when its memory is full (any `maxmemory-policy` but `noeviction`)
or forgets everything when it restarts (neither AOF nor RDB snapshots) loses
them without a word. The app cannot fix that, and must not refuse to start over
it, so it says so once, in one warning that names each setting to change.

Managed Redis services often refuse CONFIG GET; then nothing can be checked and
the app starts as usual (one INFO line says so).
"""

from __future__ import annotations

import logging

import redis

log = logging.getLogger(__name__)

# Seconds to wait for Redis: start-up must not hang on a Redis that is down.
TIMEOUT = 2.0


def redis_problems(connection: redis.Redis) -> list[str]:
    """What makes this Redis unsafe for the queue, one phrase per setting; [] if nothing.

    Raises redis.RedisError when the settings cannot be read.
    """
    pipe = connection.pipeline(transaction=False)
    for name in ("maxmemory-policy", "appendonly", "save"):
        pipe.config_get(name)
    policy, appendonly, save = (
        _value(reply, name)
        for reply, name in zip(
            pipe.execute(), ("maxmemory-policy", "appendonly", "save"), strict=True
        )
    )
    problems = []
    if policy != "noeviction":
        problems.append(
            f"maxmemory-policy is {policy!r}, so Redis may evict queued jobs when its memory "
            "is full: set maxmemory-policy noeviction"
        )
    if appendonly != "yes" and not save.strip():
        problems.append(
            'persistence is off (appendonly no, save ""), so queued jobs are lost when Redis '
            "restarts: set appendonly yes (AOF), or RDB snapshots with e.g. save 3600 1 300 100"
        )
    return problems


def _value(reply: dict, name: str) -> str:
    value = reply.get(name, reply.get(name.encode(), ""))
    return value.decode() if isinstance(value, bytes) else str(value)


def check_redis(url: str) -> list[str]:
    """Log one warning naming every unsafe setting of the Redis at `url`; never raise.

    Returns the problems found (empty when all is well or nothing could be read).
    """
    connection = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
    kwargs = connection.connection_pool.connection_kwargs
    # The address without the password a URL may carry.
    where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
    try:
        problems = redis_problems(connection)
    except redis.ResponseError as error:
        # CONFIG renamed or disabled, or not allowed to this user: cannot tell.
        log.info("Could not read the settings of Redis at %s to check them (%s)", where, error)
        return []
    except redis.RedisError as error:
        log.warning("Could not reach Redis at %s to check its settings: %s", where, error)
        return []
    finally:
        connection.close()
    if problems:
        log.warning(
            "Redis at %s is not safe for the job queue: %s. See README.md, Deployment, Redis.",
            where,
            "; and ".join(problems),
        )
    return problems
