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
- ``{prefix}commands`` — a Stream: the web's commands to the bridge (``id``, ``kind``,
  ``actor``, ``args`` JSON, ``deadline``), read by the bridge's consumer group ``bridge``.
- ``{prefix}command:reply:{id}`` — a list with a TTL: the bridge's answer to command ``id``.
- ``{prefix}audit`` — a Stream: every command taken by the bridge, who asked, and its outcome.
- ``{prefix}bridge`` — a hash with a TTL: the bridge's measured figures and ``alive_at``, for
  the web's ``/readyz`` and ``/metrics`` (the web runs in other processes).
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
- ``{prefix}config:version`` — a counter, incremented after every change of the admin's
  configuration: web processes keep the permission matrix and pause reasons cached until it
  moves.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from standardiste.acd.entities import ENTITIES
from standardiste.acd.state import Entity

__all__ = ["ENTITIES", "RedisKeys"]


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

    @property
    def commands(self) -> str:
        return f"{self.prefix}commands"

    def command_reply(self, command_id: str) -> str:
        return f"{self.prefix}command:reply:{command_id}"

    @property
    def audit(self) -> str:
        return f"{self.prefix}audit"

    @property
    def bridge(self) -> str:
        return f"{self.prefix}bridge"

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

    @property
    def config_version(self) -> str:
        return f"{self.prefix}config:version"

    def all(self) -> list[str]:
        return [
            *(self.entity(e) for e in ENTITIES),
            self.changes,
            self.meta,
            self.commands,
            self.audit,
            self.bridge,
            self.web_sessions_ended,
            self.config_version,
        ]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]
