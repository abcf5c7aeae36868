"""The admin section's navigation: its pages and the permission each needs to be seen
(those of the JSON API it reads, :mod:`web.admin_routes`). Apart from :mod:`web.admin_pages`
so that every page's header (:mod:`web.pages`) can link to the section."""

from __future__ import annotations

import re
from dataclasses import dataclass

ADMIN = "/admin"


@dataclass(frozen=True, slots=True)
class Section:
    """One entry of the admin navigation: its page and the permission to see it."""

    path: str
    label: str  # catalog key
    permission: str
    also: tuple[str, ...] = ()  # other pages of the section (create forms)

    def holds(self, path: str) -> bool:
        """Whether ``path`` is this section's page, one under it, or one of ``also``."""
        return (
            path == self.path
            or path in self.also
            or (self.path != ADMIN and path.startswith(f"{self.path}/"))
        )


SECTIONS = (
    Section(ADMIN, "admin.nav.summary", "admin.summary"),
    Section(f"{ADMIN}/queues", "admin.nav.queues", "admin.queues.view", (f"{ADMIN}/new-queue",)),
    Section(f"{ADMIN}/users", "admin.nav.users", "admin.users.view", (f"{ADMIN}/new-user",)),
    Section(
        f"{ADMIN}/campaigns",
        "admin.nav.campaigns",
        "campaigns.view",
        (f"{ADMIN}/new-campaign",),
    ),
    Section(f"{ADMIN}/dnc", "admin.nav.dnc", "dnc.manage"),
    Section(f"{ADMIN}/general", "admin.nav.general", "admin.summary"),
    Section(f"{ADMIN}/audit", "admin.nav.audit", "admin.audit.view"),
)


def admin_home(permissions: frozenset[str]) -> str:
    """The first admin page ``permissions`` let one see ("": none)."""
    return next((s.path for s in SECTIONS if s.permission in permissions), "")


_PATH_RE = re.compile(r"^/admin(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}){0,2}$")


def is_admin_path(path: str) -> bool:
    """An admin page's path: a safe place to return to after the log-in (our own pages
    only; an open redirect to another site would help phishing)."""
    return bool(_PATH_RE.fullmatch(path))


__all__ = ["ADMIN", "SECTIONS", "Section", "admin_home", "is_admin_path"]
