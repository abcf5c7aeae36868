"""What each role may do: the permissions an admin grants to roles (CF-6), enforced on every
API call (each route names its permission: ``web.routes``) and on every websocket
subscription (``live.view``).

The admin role always holds every permission: the matrix cannot lock the last admin out.
What a permission allows is then narrowed by :mod:`standardiste.permissions` (which queues,
which agents): ``agents.control`` lets a supervisor act on the agents *of their queues*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from standardiste.errors import Forbidden, InvalidInput

# name -> what it allows (shown in the admin's matrix; the UI translates by name).
PERMISSIONS: dict[str, str] = {
    "live.view": "Follow the live state of one's queues (overview API, websocket)",
    "workspace.use": "Use the agent workspace: log oneself in and out, pause, resume",
    "overview.view": "See the supervisor overview of the queues one supervises",
    "agents.control": "Log in, log out, pause and resume the agents of one's queues",
    "recordings.play": "Play the recordings of the calls of one's queues",
    "calls.spy": "Listen to, whisper to and barge in on the calls of one's queues' agents",
    "callers.transfer": "Take a caller waiting in one's queues, or transfer them out",
    "canned.play": "Play a canned audio message into one's own call",
    "campaigns.view": "See the campaigns of one's queues, their contacts and missed calls",
    "campaigns.control": (
        "Pause and resume the campaigns of one's queues, add, import and remove their "
        "contacts, assign missed calls to them"
    ),
    "campaigns.manage": "Create, change and delete campaigns (their settings)",
    "dnc.manage": "See and add do-not-call numbers",
    "reports.view": "See the reports (queue callers, agent performance) of one's queues",
    "admin.summary": "See the administration summary",
    "admin.queues.view": "See the call queues' settings",
    "admin.queues.edit": "Create, change and delete call queues",
    "admin.users.view": "See users, their devices, queues, skills and permissions",
    "admin.users.edit": "Create, change and disable users; assign devices, queues and skills",
    "admin.settings.edit": "Edit skills, pause reasons, canned texts and audio messages, chat tags",
    "admin.permissions.edit": "Edit this matrix",
    "admin.audit.view": "Read the configuration audit log",
}
EDITABLE_ROLES = ("supervisor", "agent")
ALL = frozenset(PERMISSIONS)

Matrix = Mapping[str, frozenset[str]]


def granted(role: str, matrix: Matrix) -> frozenset[str]:
    """The permissions of ``role`` (admin: all)."""
    if role == "admin":
        return ALL
    return matrix.get(role, frozenset()) & ALL


def require(role: str, matrix: Matrix, permission: str) -> None:
    if permission not in ALL:
        raise RuntimeError(f"unknown permission {permission!r}")  # a bug of this code
    if permission not in granted(role, matrix):
        raise Forbidden(f"your role ({role}) does not have the permission {permission!r}")


def checked(role: str, permissions: Iterable[str]) -> frozenset[str]:
    """A new set of permissions for ``role``, validated."""
    if role not in EDITABLE_ROLES:
        raise InvalidInput(
            f"role: one of {', '.join(EDITABLE_ROLES)} (admin holds every permission)"
        )
    if isinstance(permissions, str):
        raise InvalidInput("permissions: a list is expected")
    chosen = frozenset(permissions)
    unknown = sorted(chosen - ALL)
    if unknown:
        raise InvalidInput(f"unknown permission(s): {', '.join(unknown)}")
    return chosen


__all__ = ["ALL", "EDITABLE_ROLES", "PERMISSIONS", "Matrix", "checked", "granted", "require"]
