"""Domain errors with stable codes. The web layer maps codes to HTTP statuses in one place."""

from __future__ import annotations


class StandardisteError(Exception):
    """Base: ``code`` is stable (clients match on it), the message is for people."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(StandardisteError):
    code = "invalid_input"


class UnknownQueue(StandardisteError):
    code = "unknown_queue"


class UnknownAgent(StandardisteError):
    code = "unknown_agent"


class AsteriskRefused(StandardisteError):
    """Asterisk answered the action with an error; the message is Asterisk's own."""

    code = "asterisk_refused"


class NotConfirmed(StandardisteError):
    """Asterisk accepted the action but the events confirming it did not come in time."""

    code = "not_confirmed"


class PbxUnavailable(StandardisteError):
    """No AMI connection right now (Asterisk down or restarting)."""

    code = "pbx_unavailable"
