"""Jobs the background-job tests queue (importable by path, as every job is)."""

from __future__ import annotations

calls: list[str] = []


def refuse(address: str) -> None:
    """Fails as an SMTP server refusing a message does, with a secret link in the error."""
    calls.append("refuse")
    raise RuntimeError(
        f"550 mailbox unavailable for {address}: https://academy.test/confirm/"
        "Zm9vYmFyLXNlY3JldC10b2tlbi12YWx1ZQ"
    )


def fail_once(address: str) -> None:
    """Fails the first time only, as a mail server that was briefly down."""
    calls.append("fail_once")
    if calls.count("fail_once") == 1:
        raise ConnectionRefusedError("mail server down")
