"""Exceptions raised by :mod:`ami_bridge`. Every one derives from :class:`AmiError`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .wire import AmiMessage

__all__ = [
    "AmiActionError",
    "AmiAuthError",
    "AmiConnectionLost",
    "AmiError",
    "AmiNotConnected",
    "AmiTimeout",
]


class AmiError(Exception):
    """Base class of every AMI error."""


class AmiAuthError(AmiError):
    """Asterisk rejected the Login (wrong username/secret, or address not permitted)."""


class AmiActionError(AmiError):
    """Asterisk answered an action with ``Response: Error``.

    ``action`` is the action name, ``message`` the full response, ``text`` its
    ``Message`` header (Asterisk's explanation, e.g. ``Interface not found``).
    """

    def __init__(self, action: str, message: AmiMessage) -> None:
        self.action = action
        self.message = message
        self.text = message.get("Message", "")
        super().__init__(f"{action} failed: {self.text or message.response or 'error'}")


class AmiConnectionLost(AmiError):
    """The connection dropped (or was declared dead) before the action's response arrived.

    The action may or may not have been executed by Asterisk: it is never re-sent by
    :class:`~ami_bridge.connection.AmiConnection`; only the caller can decide whether a
    retry is safe (it is for idempotent actions, it is not for ``Originate``).
    """


class AmiNotConnected(AmiError):
    """No logged-in connection at the moment the action was to be sent; nothing was sent."""


class AmiTimeout(AmiError, TimeoutError):
    """No (complete) response in time. As with :class:`AmiConnectionLost`, the action may
    have been executed anyway. Also a :class:`TimeoutError`."""
