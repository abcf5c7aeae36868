"""The only package that talks AMI (and the only one allowed to import panoramisk).

Public API: :class:`AmiConnection` (connection.py), :class:`AmiMessage`, :class:`Framer`,
:func:`format_action` (wire.py) and the errors (errors.py). ``translate`` turns messages
into domain events; ``baseline`` holds the parser benchmark helpers.
"""

from .connection import AmiConnection, AmiResponse
from .errors import (
    AmiActionError,
    AmiAuthError,
    AmiConnectionLost,
    AmiError,
    AmiNotConnected,
    AmiTimeout,
)
from .wire import AmiMessage, Framer, format_action

__all__ = [
    "AmiActionError",
    "AmiAuthError",
    "AmiConnection",
    "AmiConnectionLost",
    "AmiError",
    "AmiMessage",
    "AmiNotConnected",
    "AmiResponse",
    "AmiTimeout",
    "Framer",
    "format_action",
]
