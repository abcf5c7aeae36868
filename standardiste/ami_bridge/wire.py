"""The AMI wire format: framing incoming bytes into messages, serialising actions.

This runs for every byte Asterisk sends us, so the hot path is written for speed: line
endings are normalised with one ``bytes.replace`` per read, a whole ASCII chunk is decoded
at once and split into messages with ``str.split``, and each message's headers become a
dict in one list comprehension + one dict comprehension (``line.split(": ", 1)``). A
regex per message was measured 3x slower. Anything unusual (non-ASCII, a line that is not
``Key: value``, a Follows body) falls back to a slower line-by-line parser.
About 190k events/s on the synthetic queue stream of :mod:`ami_bridge.baseline`, against
about 99k/s for panoramisk's parser, on one core of the development machine.

It is also a trust boundary in both directions:

* incoming: malformed input (oversized messages or lines, invalid UTF-8, junk) never raises;
  it is reported through ``on_garbage`` and the framer resynchronises at the next blank line;
* outgoing: :func:`format_action` refuses any CR, LF or NUL in what it writes, because one
  stray line break in a value is enough to smuggle extra headers (or a whole extra action)
  into the stream.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TypeVar, overload

__all__ = ["AmiMessage", "Framer", "GarbageCallback", "format_action"]

GarbageCallback = Callable[[str, bytes], None]
_T = TypeVar("_T")

#: ``Key: value`` (and ``Key:`` with an empty value, which some proxies produce by
#: stripping trailing blanks). The key can't contain ':' so ``a:b: c`` is not a header.
_HEADER_RE = re.compile(r"([^:\n]+):(?: (.*))?")

_BANNER_PREFIX = b"Asterisk Call Manager/"
_SAMPLE_BYTES = 120
_END_COMMAND = "--END COMMAND--"


class AmiMessage(Mapping[str, str]):
    """One AMI message (event or response): an immutable, case-insensitive header mapping.

    ``msg["Queue"]``, ``msg["queue"]`` and ``msg.get("QUEUE", "")`` are the same lookup.
    Duplicate headers (``Variable``, ``ChanVariable``, ``Output``...) are all kept: the mapping
    interface and :meth:`get` give the first value, :meth:`getall` gives every value in
    order, :meth:`headers` gives every ``(key, value)`` pair as received. Iterating yields
    each distinct key once, with the spelling of its first occurrence.

    ``size`` is the number of bytes of the message as framed, after CRLF -> LF
    normalisation and without the terminating blank line (so about the raw size minus one
    byte per line); it is meant for metrics and limits, not for exact accounting.
    ``body`` holds the lines of a legacy ``Response: Follows`` body (empty otherwise).
    """

    # Kept deliberately lean because one exists per event: the framer's fast path stores
    # only the lower-cased index (a dict of str, which the cyclic GC does not track) and the
    # message text; the ordered (key, value) pairs are re-split from the text on demand
    # (headers(), iteration, getall() with duplicates), which consumers rarely need.
    # Storing per-line lists instead made a 10k-deep queue cost several times more in GC.
    __slots__ = ("_index", "_text", "_pairs", "_dups", "size", "body")

    _index: dict[str, str]
    _text: str
    _pairs: list[tuple[str, str]] | None
    _dups: bool
    size: int
    body: tuple[str, ...]

    def __init__(
        self,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        *,
        body: Sequence[str] = (),
        size: int = 0,
    ) -> None:
        pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
        for key, value in pairs:
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError("AMI header keys and values must be str")
        self._index = _first_wins_index(pairs)
        self._text = ""
        self._pairs = pairs
        self._dups = len(self._index) != len(pairs)
        self.size = size
        self.body = tuple(body)

    @classmethod
    def _from_parsed(
        cls,
        index: dict[str, str],
        text: str,
        pairs: list[tuple[str, str]] | None,
        dups: bool,
        size: int,
        body: tuple[str, ...] = (),
    ) -> AmiMessage:
        # Framer path: skip __init__'s validation; the parser only produces str.
        # pairs=None means "every line of text is 'Key: value'" (the fast path).
        msg = cls.__new__(cls)
        msg._index = index
        msg._text = text
        msg._pairs = pairs
        msg._dups = dups
        msg.size = size
        msg.body = body
        return msg

    def _all_pairs(self) -> list[tuple[str, str]]:
        pairs = self._pairs
        if pairs is None:
            pairs = self._pairs = [_split2(line) for line in self._text.split("\n")]
        return pairs

    # -- Mapping interface -------------------------------------------------------------
    def __getitem__(self, key: str) -> str:
        return self._index[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for key, _ in self._all_pairs():
            folded = key.lower()
            if folded not in seen:
                seen.add(folded)
                yield key

    def __len__(self) -> int:
        return len(self._index)

    @overload
    def get(self, key: str, /) -> str | None: ...
    @overload
    def get(self, key: str, default: str, /) -> str: ...
    @overload
    def get(self, key: str, default: _T, /) -> str | _T: ...

    def get(self, key: str, default: object = None, /) -> object:
        return self._index.get(key.lower(), default)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, AmiMessage):
            return self.headers() == other.headers() and self.body == other.body
        return NotImplemented

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._all_pairs())
        return f"<AmiMessage {inner}>"

    # -- AMI specifics -------------------------------------------------------------------
    def getall(self, key: str) -> list[str]:
        """Every value of ``key``, in order received (``[]`` when absent)."""
        folded = key.lower()
        if not self._dups:
            value = self._index.get(folded)
            return [] if value is None else [value]
        return [v for k, v in self._all_pairs() if k.lower() == folded]

    def headers(self) -> list[tuple[str, str]]:
        """Every ``(key, value)`` pair, duplicates included, in order received."""
        return list(self._all_pairs())

    @property
    def event(self) -> str:
        return self._index.get("event", "")

    @property
    def response(self) -> str:
        return self._index.get("response", "")

    @property
    def action_id(self) -> str:
        return self._index.get("actionid", "")


def _split2(line: str) -> tuple[str, str]:
    key, _, value = line.partition(": ")
    return key, value


def _first_wins_index(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    if not pairs:
        return {}
    keys, values = zip(*pairs, strict=True)
    # dict() keeps the last duplicate; AMI semantics want the first one. Build in C,
    # and only rebuild reversed in the rare case where a duplicate exists.
    index = dict(zip(map(str.lower, keys), values, strict=True))
    if len(index) != len(pairs):
        index = dict(zip(map(str.lower, reversed(keys)), reversed(values), strict=True))
    return index


class Framer:
    """Split an AMI byte stream into :class:`AmiMessage` objects.

    Messages end with a blank line; ``\\r\\n\\r\\n``, ``\\n\\n`` and the ``\\r\\n\\n`` seen in
    the wild are all accepted (CRLF is normalised to LF before framing). The
    ``Asterisk Call Manager/x.y.z`` banner line at the start of the stream is consumed and
    its version exposed as :attr:`version`.

    Defensive limits: a message over ``max_message_bytes`` is skipped (and, if it is still
    arriving, everything up to the next blank line is discarded); a line over
    ``max_line_bytes`` is dropped from its message, which is still delivered; invalid UTF-8
    is decoded with U+FFFD replacement characters and the message still delivered; a block
    with no ``Key: value`` line at all is skipped. Each of these calls
    ``on_garbage(reason, sample)`` and increments :attr:`garbage_count`; nothing raises.
    Reasons: ``message_too_long``, ``line_too_long``, ``invalid_utf8``, ``no_headers``.
    """

    __slots__ = (
        "max_message_bytes",
        "max_line_bytes",
        "on_garbage",
        "version",
        "garbage_count",
        "_buf",
        "_cr_pending",
        "_discarding",
        "_banner_pending",
    )

    def __init__(
        self,
        max_message_bytes: int = 64 * 1024,
        max_line_bytes: int = 8192,
        *,
        on_garbage: GarbageCallback | None = None,
    ) -> None:
        if max_message_bytes < 16 or max_line_bytes < 16:
            raise ValueError("limits too small to hold any AMI message")
        self.max_message_bytes = max_message_bytes
        self.max_line_bytes = max_line_bytes
        self.on_garbage = on_garbage
        self.version: str | None = None
        self.garbage_count = 0
        self._buf = bytearray()
        self._cr_pending = False
        self._discarding = False
        self._banner_pending = True

    @property
    def buffered(self) -> int:
        """Bytes held for an incomplete message."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[AmiMessage]:
        """Consume ``data``; return the messages completed by it (possibly none)."""
        # A CR at the very end may be the first half of a CRLF split across two reads:
        # hold it back so the replace below sees the pair whole.
        if self._cr_pending:
            data = b"\r" + data
            self._cr_pending = False
        if data.endswith(b"\r"):
            data = data[:-1]
            self._cr_pending = True
        data = data.replace(b"\r\n", b"\n")

        buf = self._buf
        if self._discarding:
            # buf holds at most the last discarded byte, so a "\n" + "\n" split across
            # reads still counts as the blank line we are resynchronising on.
            buf += data
            end = buf.find(b"\n\n")
            if end < 0:
                del buf[:-1]
                return []
            data = bytes(buf[end + 2 :])
            buf.clear()
            self._discarding = False

        if self._banner_pending:
            buf += data
            if not self._take_banner():
                self._check_overflow()
                return []
            data = bytes(buf)
            buf.clear()

        if buf:
            start = len(buf) - 1  # a boundary may straddle the old data and the new
            buf += data
            end = buf.rfind(b"\n\n", start)
            if end < 0:
                self._check_overflow()
                return []
            chunk = bytes(buf[:end])
            del buf[: end + 2]
        else:
            end = data.rfind(b"\n\n")
            if end < 0:
                buf += data
                self._check_overflow()
                return []
            chunk = data[:end]
            buf += data[end + 2 :]
        out = self._parse_chunk(chunk)
        self._check_overflow()
        return out

    # -- internals -----------------------------------------------------------------------
    def _take_banner(self) -> bool:
        """Consume the banner line if present; False while undecided (need more bytes)."""
        buf = self._buf
        if buf[: len(_BANNER_PREFIX)] == _BANNER_PREFIX:
            eol = buf.find(b"\n")
            if eol < 0:
                return False
            line = bytes(buf[len(_BANNER_PREFIX) : eol])
            self.version = line.decode("utf-8", "replace").strip()
            del buf[: eol + 1]
        elif len(buf) < len(_BANNER_PREFIX) and _BANNER_PREFIX.startswith(buf):
            return False  # could still become the banner
        self._banner_pending = False
        return True

    def _check_overflow(self) -> None:
        buf = self._buf
        if len(buf) > self.max_message_bytes:
            self._garbage("message_too_long", bytes(buf[:_SAMPLE_BYTES]))
            del buf[:-1]
            self._discarding = True
            self._banner_pending = False

    def _garbage(self, reason: str, sample: bytes) -> None:
        self.garbage_count += 1
        if self.on_garbage is not None:
            self.on_garbage(reason, sample)

    def _parse_chunk(self, chunk: bytes) -> list[AmiMessage]:
        max_msg = self.max_message_bytes
        max_line = self.max_line_bytes
        if chunk.isascii():
            # The common case by far. One decode for the whole chunk (ASCII fast path), and
            # character counts equal byte counts, so limits can be checked on the text.
            texts = chunk.decode("ascii").split("\n\n")
            out: list[AmiMessage] = []
            append = out.append
            for text in texts:
                size = len(text)
                if size > max_msg:
                    self._garbage("message_too_long", text[:_SAMPLE_BYTES].encode())
                    continue
                if size > max_line:  # only then can a single line be too long
                    text = self._drop_long_lines(text.encode()).decode("ascii")
                # Hot path: every line is "Key: value". Anything else (body lines, "Key:",
                # stray blank lines) makes the unpacking raise and takes the slow path.
                split = [line.split(": ", 1) for line in text.split("\n")]
                try:
                    index = {k.lower(): v for k, v in split}
                except ValueError:
                    msg = self._parse_slow(text, size)
                    if msg is not None:
                        append(msg)
                    continue
                dups = len(index) != len(split)
                if dups:  # duplicate keys: the first one wins
                    index = {k.lower(): v for k, v in reversed(split)}
                if index.get("response") == "Follows":
                    msg = self._parse_slow(text, size)
                    if msg is not None:
                        append(msg)
                    continue
                append(AmiMessage._from_parsed(index, text, None, dups, size))
            return out
        return self._parse_chunk_unicode(chunk)

    def _parse_chunk_unicode(self, chunk: bytes) -> list[AmiMessage]:
        out: list[AmiMessage] = []
        for block in chunk.split(b"\n\n"):
            size = len(block)
            if size > self.max_message_bytes:
                self._garbage("message_too_long", block[:_SAMPLE_BYTES])
                continue
            if size > self.max_line_bytes:
                block = self._drop_long_lines(block)
            try:
                text = block.decode("utf-8")
            except UnicodeDecodeError:
                self._garbage("invalid_utf8", block[:_SAMPLE_BYTES])
                text = block.decode("utf-8", "replace")
            msg = self._parse_slow(text, size)
            if msg is not None:
                out.append(msg)
        return out

    def _parse_slow(self, text: str, size: int) -> AmiMessage | None:
        """Line-by-line parse tolerating non-header lines, ``Key:`` and Follows bodies."""
        pairs: list[tuple[str, str]] = []
        body: list[str] = []
        lines = text.split("\n")
        follows = False
        for line in lines:
            if body:  # once in a Follows body, everything is body (output may hold ': ')
                body.append(line)
                continue
            match = _HEADER_RE.fullmatch(line)
            if match is not None:
                pairs.append((match.group(1), match.group(2) or ""))
                if not follows and match.group(1).lower() == "response":
                    follows = match.group(2) == "Follows"
            elif follows and line:
                body.append(line)
            # else: a line without ': ' outside a Follows body carries nothing; drop it
        if not pairs:
            if text.strip():
                self._garbage("no_headers", text[:_SAMPLE_BYTES].encode("utf-8", "replace"))
            return None
        body = [line for line in body if line != _END_COMMAND]
        while body and not body[-1]:
            body.pop()
        index = _first_wins_index(pairs)
        dups = len(index) != len(pairs)
        return AmiMessage._from_parsed(index, text, pairs, dups, size, tuple(body))

    def _drop_long_lines(self, block: bytes) -> bytes:
        kept = []
        for line in block.split(b"\n"):
            if len(line) > self.max_line_bytes:
                self._garbage("line_too_long", line[:_SAMPLE_BYTES])
            else:
                kept.append(line)
        return b"\n".join(kept)


_FORBIDDEN = ("\r", "\n", "\x00")
_RESERVED_KEYS = frozenset({"action", "actionid"})


def _check_token(what: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"AMI {what} must be str, got {type(value).__name__}")
    for ch in _FORBIDDEN:
        if ch in value:
            raise ValueError(f"AMI {what} contains a forbidden character {ch!r}: {value[:40]!r}")
    return value


def format_action(name: str, action_id: str, headers: Mapping[str, str | Sequence[str]]) -> bytes:
    """Serialise one action. A sequence value becomes one header line per item.

    Raises :class:`ValueError` if any part contains CR, LF or NUL (header or action
    injection; NUL would silently truncate the C string on Asterisk's side), if a key is
    empty or contains ':', or if ``headers`` tries to set ``Action`` or ``ActionID``
    itself (a second ActionID would hijack response routing). Raises :class:`TypeError`
    for non-str values. Nothing is written on error: the whole action is built first.
    """
    _check_token("action name", name)
    _check_token("ActionID", action_id)
    if not name or not action_id:
        raise ValueError("AMI action name and ActionID must not be empty")
    parts = [f"Action: {name}\r\nActionID: {action_id}\r\n"]
    for key, value in headers.items():
        _check_token("header name", key)
        if not key or ":" in key or key.strip() != key:
            raise ValueError(f"invalid AMI header name: {key!r}")
        if key.lower() in _RESERVED_KEYS:
            raise ValueError(f"header {key!r} is set by the connection, not by callers")
        items: Sequence[str] = (value,) if isinstance(value, str) else value
        if not isinstance(items, Sequence):
            raise TypeError(f"AMI header {key!r} must be str or a sequence of str")
        for item in items:
            parts.append(f"{key}: {_check_token(f'value of {key}', item)}\r\n")
    parts.append("\r\n")
    return "".join(parts).encode("utf-8")
