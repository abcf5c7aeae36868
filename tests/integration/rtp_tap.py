"""What each party hears, taken off the wire: every RTP packet on the loopback interface.

Asterisk cannot record what a party hears once ChanSpy whispers or barges: the audio of a
whisper (or barge) is mixed into the frames written to the spied channel (and to its peer)
AFTER that channel's spy audiohooks -- MixMonitor's -- have copied them
(main/audiohook.c, audio_audiohook_write_list: spies, then whisper sources, then
manipulators). A MixMonitor on the agent's or the caller's channel therefore never contains
the supervisor's voice. What Asterisk sends to a phone is what that phone plays: this tap
captures the RTP Asterisk sends from a channel's media address (``CHANNEL(rtp,src)``) and
decodes it (G.711) into a WAV file that ``audio.py`` analyses.

A party is sent audio only while its peer sends some: the whisper rides on the frames
Asterisk writes to the spied channel, so the phones of these tests all talk (a silent sipp
peer sends no RTP at all, and then the whisper never reaches the agent).

Needs root (an AF_PACKET socket, as the sandbox and sipp's pcap play already do). Streams are
told apart by Asterisk's source address, so other traffic on the loopback does no harm.
"""

from __future__ import annotations

import asyncio
import ctypes
import socket
import struct
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import pytest
from ami_raw import RawAMI
from audio import write_wav

from standardiste.tools.tone import PAYLOAD_TYPES, decode

Address = tuple[str, int]
_ETH_P_IP = 0x0800
_PACKET_OUTGOING = 4  # on lo each packet shows twice: sent (OUTGOING) and received (HOST)
_G711 = frozenset(PAYLOAD_TYPES.values())
_SO_ATTACH_FILTER = 26
# Classic BPF, so the kernel hands over only what the tap keeps: received UDP frames.
_UDP_ONLY = (
    (0x20, 0, 0, 0xFFFFF004),  # ld [SKF_AD_OFF + SKF_AD_PKTTYPE]
    (0x15, 3, 0, _PACKET_OUTGOING),  # jeq OUTGOING -> drop
    (0x30, 0, 0, 23),  # ldb [23]: the IPv4 protocol
    (0x15, 0, 1, 17),  # jeq UDP -> keep, else drop
    (0x06, 0, 0, 0xFFFF),  # ret keep
    (0x06, 0, 0, 0),  # ret drop
)


@dataclass(frozen=True)
class RtpCapture:
    at: float  # time.monotonic() when the tap read it
    src: Address
    dst: Address
    seq: int
    payload_type: int
    payload: bytes


class RtpTap:
    """Collects the G.711 RTP packets seen on ``interface`` while open.

    ``async with RtpTap() as tap: ...`` then ``tap.wav(source, path)`` for one leg.
    """

    def __init__(self, interface: str = "lo") -> None:
        self.interface = interface
        self.packets: list[RtpCapture] = []
        self._sock: socket.socket | None = None

    async def __aenter__(self) -> Self:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(_ETH_P_IP))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        program = ctypes.create_string_buffer(
            b"".join(struct.pack("HBBI", *op) for op in _UDP_ONLY)
        )  # the kernel copies it: it need not outlive setsockopt
        fprog = struct.pack("HL", len(_UDP_ONLY), ctypes.addressof(program))
        sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, fprog)
        sock.bind((self.interface, 0))
        sock.setblocking(False)
        self._sock = sock
        asyncio.get_running_loop().add_reader(sock.fileno(), self._drain)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            self._drain_socket(sock)
            asyncio.get_running_loop().remove_reader(sock.fileno())
            sock.close()

    def _drain(self) -> None:
        if self._sock is not None:
            self._drain_socket(self._sock)

    def _drain_socket(self, sock: socket.socket) -> None:
        now = time.monotonic()
        while True:
            try:
                frame, address = sock.recvfrom(65535)
            except BlockingIOError:
                return
            if address[2] != _PACKET_OUTGOING:
                packet = _parse(frame, now)
                if packet is not None:
                    self.packets.append(packet)

    def stream(
        self, source: Address, since: float | None = None, until: float | None = None
    ) -> list[RtpCapture]:
        """The packets sent from ``source``, in order, read between ``since`` and
        ``until`` (``time.monotonic()`` values)."""
        return [
            p
            for p in self.packets
            if p.src == source
            and (since is None or p.at >= since)
            and (until is None or p.at < until)
        ]

    def wav(
        self, source: Address, path: Path, since: float | None = None, until: float | None = None
    ) -> Path:
        """Write the audio sent from ``source`` (see ``stream``) as a 16-bit 8 kHz WAV."""
        samples: list[int] = []
        for packet in self.stream(source, since, until):
            samples += decode(packet.payload_type, packet.payload)
        return write_wav(path, samples)


def _parse(frame: bytes, at: float) -> RtpCapture | None:
    """An Ethernet/IPv4/UDP frame carrying G.711 RTP, else None (SIP, RTCP, ...)."""
    if len(frame) < 14 + 20 + 8 + 12 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
        return None
    ip_len = (frame[14] & 0x0F) * 4
    udp = 14 + ip_len
    rtp = frame[udp + 8 :]
    if len(rtp) < 12 or rtp[0] >> 6 != 2 or rtp[1] & 0x7F not in _G711:
        return None
    src_port, dst_port = struct.unpack("!HH", frame[udp : udp + 4])
    header = 12 + (rtp[0] & 0x0F) * 4
    return RtpCapture(
        at=at,
        src=(socket.inet_ntoa(frame[26:30]), src_port),
        dst=(socket.inet_ntoa(frame[30:34]), dst_port),
        seq=struct.unpack("!H", rtp[2:4])[0],
        payload_type=rtp[1] & 0x7F,
        payload=rtp[header:],
    )


async def rtp_source(ami: RawAMI, channel: str) -> Address:
    """Where Asterisk sends a channel's audio from (its RTP address): the key of that
    party's stream in the tap. ``channel``: an exact PJSIP channel name."""
    resp = await ami.action("Getvar", Channel=channel, Variable="CHANNEL(rtp,src)")
    value = resp.get("Value", "")
    host, sep, port = value.rpartition(":")
    if resp.get("Response") != "Success" or not sep or not port.isdigit():
        raise AssertionError(f"no RTP address for {channel}: {resp}")
    return host, int(port)


@pytest.fixture(name="tap")
async def tap_fixture() -> AsyncIterator[RtpTap]:
    """The loopback's RTP for the length of a test."""
    async with RtpTap() as tap:
        yield tap
