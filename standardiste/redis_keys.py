"""Every Redis key the project uses, in one place.

Layout (``prefix`` defaults to ``std:``):

- ``{prefix}queue``, ``{prefix}member``, ``{prefix}caller``, ``{prefix}call``,
  ``{prefix}device`` — hashes, one field per entity key (queue name; ``queue|interface``;
  caller uniqueid; call uniqueid; device such as ``PJSIP/agent1001``), the value the entity as
  JSON. Together: the snapshot.
- ``{prefix}changes`` — a Stream; each entry is one batch of changes written in the same
  MULTI/EXEC as the hashes: ``seq`` (gap-free counter), and either ``changes`` (a JSON list of
  ``[entity, key, value-or-null]``) or ``reset`` (the hashes were replaced wholesale).
- ``{prefix}meta`` — a hash: ``seq`` (last batch written), ``synced_at`` (last full resync),
  ``ami`` (``up``/``down``), ``bridge_pid``.
- ``{prefix}web:login_failures:{digest}`` — a counter with a TTL: failed log-ins of one user
  name from one address in the current window (the digest keeps names and addresses out of
  key listings and bounds the key length).
- ``{prefix}web:login_failures:account:{digest}``, ``{prefix}web:login_failures:address:{digest}``
  — the same, of one account from any address, and from one address for any account.
- ``{prefix}web:session:{id}`` — a hash with a TTL: one web session (``user``, ``csrf``,
  ``cv`` the credentials version, ``created``, ``expires``); ``id`` is the SHA-256 of the
  cookie's token.
- ``{prefix}web:user_sessions:{username}`` — a set: the session ids of one user.
- ``{prefix}web:sessions_ended`` — a Stream, trimmed to about 1000 entries: one entry each
  time sessions end (log-out, account disabled, password changed): ``sessions`` (a JSON list
  of session ids) and ``user`` (all of that user's sessions, or empty).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from acd.state import Entity

ENTITIES: tuple[Entity, ...] = ("queue", "member", "caller", "call", "device")


@dataclass(frozen=True, slots=True)
class RedisKeys:
    prefix: str = "std:"

    def entity(self, entity: Entity) -> str:
        return f"{self.prefix}{entity}"

    @property
    def changes(self) -> str:
        return f"{self.prefix}changes"

    @property
    def meta(self) -> str:
        return f"{self.prefix}meta"

    def login_failures(self, username: str, address: str) -> str:
        digest = hashlib.sha256(f"{username}\0{address}".encode()).hexdigest()[:32]
        return f"{self.prefix}web:login_failures:{digest}"

    def login_failures_account(self, username: str) -> str:
        return f"{self.prefix}web:login_failures:account:{_digest(username)}"

    def login_failures_address(self, address: str) -> str:
        return f"{self.prefix}web:login_failures:address:{_digest(address)}"

    def web_session(self, session_id: str) -> str:
        return f"{self.prefix}web:session:{session_id}"

    def web_user_sessions(self, username: str) -> str:
        return f"{self.prefix}web:user_sessions:{username}"

    @property
    def web_sessions_ended(self) -> str:
        return f"{self.prefix}web:sessions_ended"

    def all(self) -> list[str]:
        return [*(self.entity(e) for e in ENTITIES), self.changes, self.meta]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]
