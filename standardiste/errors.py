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


class UnknownCampaign(StandardisteError):
    code = "unknown_campaign"


class UnknownAgent(StandardisteError):
    code = "unknown_agent"


class CallGone(StandardisteError):
    """The call, waiting caller or listening session asked about is not there any more
    (answered, hung up, ended): the request no longer applies."""

    code = "call_gone"


class AsteriskRefused(StandardisteError):
    """Asterisk answered the action with an error; the message is Asterisk's own."""

    code = "asterisk_refused"


class NotConfirmed(StandardisteError):
    """Asterisk accepted the action but the events confirming it did not come in time."""

    code = "not_confirmed"


class PbxUnavailable(StandardisteError):
    """No AMI connection right now (Asterisk down or restarting)."""

    code = "pbx_unavailable"


class Forbidden(StandardisteError):
    """The user may not do this (their role or the queues they are linked to)."""

    code = "forbidden"


class UnknownUser(StandardisteError):
    code = "unknown_user"


class UnknownMessage(StandardisteError):
    """No canned audio message of that id (deleted, or never was)."""

    code = "unknown_message"


class Conflict(StandardisteError):
    """The request clashes with what exists (a user name already taken, ...)."""

    code = "conflict"


class CommandTimeout(StandardisteError):
    """The bridge did not answer a command in time (it may be down or restarting)."""

    code = "command_timeout"


class CommandExpired(StandardisteError):
    """The bridge took a command after its deadline: it was not executed."""

    code = "command_expired"


class InternalError(StandardisteError):
    """A bug: logged with its traceback where it happened; the message says nothing more."""

    code = "internal_error"


def error_classes() -> list[type[StandardisteError]]:
    """Every error class defined so far (the web's too, once ``web.errors`` is imported)."""
    found: list[type[StandardisteError]] = []
    todo: list[type[StandardisteError]] = [StandardisteError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def error_from_code(code: str, message: str) -> StandardisteError:
    """The error a code names, rebuilt on this side of the command bus."""
    for cls in error_classes():
        if cls.code == code:
            try:
                return cls(message)
            except TypeError:  # a class whose constructor needs more than a message
                break
    error = StandardisteError(message)
    error.code = code
    return error
