"""The FastAGI server of the bridge process: the dialplan's ``AGI(agi://host:port/<script>)``.

FastAGI has no authentication, so a connection from an address outside the allow-list is
closed before a byte is read, the request headers are read within a size and a time limit,
and a script only answers through :meth:`AgiCall.set_variable` with allow-listed names and
values. What a script learns from the channel (its caller number and name) is caller text:
checked by the script before any use.

The AGI command/response exchange is panoramisk's (``panoramisk.fast_agi.Request``:
``send_command`` and its result parser). Its ``Application.handler`` is not used: it reads
the headers without a bound (and loops forever on a connection closed early) and swallows
``BaseException`` (cancellation included).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from panoramisk.fast_agi import Request

from standardiste.config import Network

log = structlog.get_logger(__name__)

MAX_HEADER_BYTES = 8192  # Asterisk sends ~25 agi_* lines: about 1 KB
_NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
_VALUE_RE = re.compile(r"^[A-Za-z0-9_.:+-]{0,64}$")


class AgiError(RuntimeError):
    """Asterisk refused a command, or the channel hung up, during a script."""


@dataclass(slots=True)
class AgiCall:
    """One FastAGI request: who calls (the channel) and what it asks (script, arguments)."""

    script: str
    args: tuple[str, ...]
    headers: Mapping[str, str]
    _request: Request
    _timeout: float
    replies: dict[str, str] = field(default_factory=dict)

    @property
    def uniqueid(self) -> str:
        return self.headers.get("agi_uniqueid", "")

    @property
    def channel(self) -> str:
        return self.headers.get("agi_channel", "")

    @property
    def caller_number(self) -> str:
        """Caller text (the caller ID the far end sent): check before use."""
        return self.headers.get("agi_callerid", "")

    @property
    def caller_name(self) -> str:
        """Caller text: sanitise before storing or showing."""
        return self.headers.get("agi_calleridname", "")

    def arg(self, index: int) -> str:
        """The ``index``-th argument (1-based), "" if absent."""
        return self.args[index - 1] if 0 < index <= len(self.args) else ""

    async def set_variable(self, name: str, value: str) -> None:
        """Set a channel variable; name and value allow-listed (nothing to quote)."""
        if not _NAME_RE.fullmatch(name) or not _VALUE_RE.fullmatch(value):
            raise ValueError(f"AGI variable {name}={value!r} is not allowed")
        result: dict[str, Any] = await asyncio.wait_for(
            self._request.send_command(f'SET VARIABLE {name} "{value}"'), self._timeout
        )
        if "error" in result or result.get("status_code") != 200:
            raise AgiError(f"SET VARIABLE {name}: {result.get('msg') or result}")
        self.replies[name] = value


Script = Callable[[AgiCall], Awaitable[None]]


def parse_headers(data: bytes) -> dict[str, str]:
    """The ``agi_*`` lines of a request (anything else is ignored)."""
    headers: dict[str, str] = {}
    for line in data.decode("utf-8", errors="replace").splitlines():
        key, sep, value = line.partition(": ")
        if sep and key.startswith("agi_") and key not in headers:
            headers[key] = value
    return headers


def call_of(headers: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """The script name and the arguments of a request."""
    script = headers.get("agi_network_script", "").strip("/")
    args: list[str] = []
    while f"agi_arg_{len(args) + 1}" in headers:
        args.append(headers[f"agi_arg_{len(args) + 1}"])
    return script, tuple(args)


class AgiServer:
    """Serves ``scripts`` (name -> coroutine) on ``host:port`` to the ``allowed`` addresses."""

    def __init__(
        self,
        scripts: Mapping[str, Script],
        *,
        host: str,
        port: int,
        allowed: Sequence[Network],
        timeout: float = 10.0,
    ) -> None:
        self._scripts = dict(scripts)
        self.host, self.port = host, port
        self._allowed = tuple(allowed)
        self._timeout = timeout
        self._handlers: set[asyncio.Task[None]] = set()
        self.listening = asyncio.Event()
        self.calls = 0
        self.failures = 0
        self.refused = 0

    def allows(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._allowed)

    async def run(self) -> None:
        """Serve until cancelled; connections still open then are cancelled and awaited."""
        server = await asyncio.start_server(
            self._connection, self.host, self.port, limit=MAX_HEADER_BYTES
        )
        log.info("agi.listening", host=self.host, port=self.port)
        self.listening.set()
        try:
            await server.serve_forever()
        finally:
            self.listening.clear()
            server.close()
            for task in list(self._handlers):
                task.cancel()
            await asyncio.gather(*self._handlers, return_exceptions=True)
            await server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        peer = writer.get_extra_info("peername") or ("", 0)
        try:
            if not self.allows(str(peer[0])):
                self.refused += 1
                log.warning("agi.refused", peer=str(peer[0]))
                return
            await self._serve(reader, writer, str(peer[0]))
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass
            if task is not None:
                self._handlers.discard(task)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        started = time.monotonic()
        try:
            data = await asyncio.wait_for(reader.readuntil(b"\n\n"), self._timeout)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            self.failures += 1
            log.warning("agi.bad_request", peer=peer, error=type(exc).__name__)
            return
        headers = parse_headers(data)
        name, args = call_of(headers)
        script = self._scripts.get(name)
        if script is None:
            self.failures += 1
            log.warning("agi.unknown_script", peer=peer, script=name[:64])
            return
        call = AgiCall(name, args, headers, Request(None, headers, reader, writer), self._timeout)
        self.calls += 1
        try:
            await asyncio.wait_for(script(call), self._timeout)
        except (AgiError, TimeoutError, ConnectionError, ValueError) as exc:
            self.failures += 1
            log.warning(
                "agi.script_failed",
                script=name,
                uniqueid=call.uniqueid,
                error=str(exc) or repr(exc),
            )
            return
        except Exception:  # a bug in a script must not stop the server
            self.failures += 1
            log.exception("agi.script_crashed", script=name, uniqueid=call.uniqueid)
            return
        log.info(
            "agi.call",
            script=name,
            uniqueid=call.uniqueid,
            replies=call.replies,
            ms=round((time.monotonic() - started) * 1000, 1),
        )


__all__ = ["AgiCall", "AgiError", "AgiServer", "Script", "call_of", "parse_headers"]
