"""Audio for sipp phones: pcap files of G.711 RTP that ``AgentPhone(talk=...)`` plays.

- ``tone_pcap``: a pure tone (1 kHz by default), the supervisor's voice in the ChanSpy audio
  tests: easy to find again in what another party heard, absent from speech.
- ``looped_pcap``: a pcap's RTP audio repeated to a given length (sip-tester's speech sample
  lasts about 7 s; a leg that must keep talking through a whole test needs more).

sipp replays a pcap's RTP packets as they are (payload type included) at the pace of their
capture timestamps, rewriting only the addresses and ports: the files need an Ethernet
frame, an IPv4 header and a UDP header around each RTP packet, nothing more. The phones'
SDP (sipp_scenarios/*.xml) offers PCMU (0) and PCMA (8); Asterisk's endpoints allow both, so
either codec plays. A pure file writer: no sipp, no network, no new dependency.

The G.711 codecs (``ulaw_encode``/``alaw_encode``, ``decode``) are the ITU-T G.711 tables,
shared with the tests' RTP tap, which decodes what Asterisk sent back into WAV files.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Codec = Literal["PCMU", "PCMA"]
PAYLOAD_TYPES: dict[Codec, int] = {"PCMU": 0, "PCMA": 8}
RATE = 8000  # G.711: 8000 samples per second, one byte each
PTIME_MS = 20

_PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)  # 1: Ethernet
_ETHERNET = bytes.fromhex("020000000002" + "020000000001" + "0800")  # to, from, IPv4
_SRC, _DST = bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])  # sipp rewrites both
_SRC_PORT, _DST_PORT = 6000, 6000


# -- G.711 ------------------------------------------------------------------------------------


def ulaw_encode(sample: int) -> int:
    """One signed 16-bit sample to a mu-law byte (G.711, as Sun's reference g711.c)."""
    sample = max(-32768, min(32767, sample))
    sign = 0x80 if sample < 0 else 0
    magnitude = min(-sample if sample < 0 else sample, 32635) + 0x84
    exponent = 7
    mask = 0x4000
    while exponent > 0 and not magnitude & mask:
        exponent -= 1
        mask >>= 1
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | exponent << 4 | mantissa) & 0xFF


def alaw_encode(sample: int) -> int:
    """One signed 16-bit sample to an A-law byte (G.711, as Sun's reference g711.c)."""
    value = max(-32768, min(32767, sample)) >> 3  # 13 bits
    if value >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        value = -value - 1
    segment = 0
    while segment < 8 and value >= 0x20 << segment:  # segment ends 0x1F, 0x3F, ..., 0xFFF
        segment += 1
    if segment >= 8:
        return 0x7F ^ mask
    shift = 1 if segment < 2 else segment
    return ((segment << 4) | ((value >> shift) & 0x0F)) ^ mask


def _ulaw_decode(byte: int) -> int:
    byte = ~byte & 0xFF
    magnitude = (((byte & 0x0F) << 3) + 0x84) << ((byte >> 4) & 0x07)
    return 0x84 - magnitude if byte & 0x80 else magnitude - 0x84


def _alaw_decode(byte: int) -> int:
    byte ^= 0x55
    value = (byte & 0x0F) << 4
    segment = (byte & 0x70) >> 4
    if segment == 0:
        value += 8
    elif segment == 1:
        value += 0x108
    else:
        value = (value + 0x108) << (segment - 1)
    return value if byte & 0x80 else -value


_DECODE: dict[int, tuple[int, ...]] = {
    PAYLOAD_TYPES["PCMU"]: tuple(_ulaw_decode(b) for b in range(256)),
    PAYLOAD_TYPES["PCMA"]: tuple(_alaw_decode(b) for b in range(256)),
}


def decode(payload_type: int, payload: bytes) -> list[int]:
    """G.711 payload (PT 0 or 8) to signed 16-bit samples; KeyError for other types."""
    table = _DECODE[payload_type]
    return [table[b] for b in payload]


# -- pcap ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RtpPacket:
    payload_type: int
    payload: bytes  # one byte per sample (G.711)


def _checksum(header: bytes) -> int:
    total: int = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _frame(rtp: bytes) -> bytes:
    udp = struct.pack("!HHHH", _SRC_PORT, _DST_PORT, 8 + len(rtp), 0) + rtp  # no UDP checksum
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, _SRC, _DST)
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    return _ETHERNET + ip + udp


def write_pcap(path: Path, packets: Iterator[RtpPacket]) -> Path:
    """Write ``packets`` as one RTP stream, back to back in time (each lasts its payload's
    samples), with sequence numbers and timestamps that follow on."""
    ssrc = 0x5354_4431  # "STD1"
    seconds = 1_000_000_000  # capture time of the first packet (any fixed date)
    micros = 0
    timestamp = 0
    with path.open("wb") as out:
        out.write(_PCAP_HEADER)
        for seq, packet in enumerate(packets):
            marker = 0x80 if seq == 0 else 0
            rtp = struct.pack(
                "!BBHII", 0x80, marker | packet.payload_type, seq & 0xFFFF, timestamp, ssrc
            )
            frame = _frame(rtp + packet.payload)
            out.write(struct.pack("<IIII", seconds, micros, len(frame), len(frame)) + frame)
            timestamp = (timestamp + len(packet.payload)) & 0xFFFF_FFFF
            micros += len(packet.payload) * 1_000_000 // RATE
            seconds, micros = seconds + micros // 1_000_000, micros % 1_000_000
    return path


def read_rtp(path: Path) -> list[RtpPacket]:
    """The RTP packets of a pcap of Ethernet/IPv4/UDP frames (as sip-tester's samples)."""
    data = path.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    if struct.unpack(f"{order}I", data[20:24])[0] != 1:
        raise ValueError(f"{path}: not an Ethernet capture")
    packets = []
    offset = 24
    while offset + 16 <= len(data):
        length = struct.unpack(f"{order}I", data[offset + 8 : offset + 12])[0]
        frame = data[offset + 16 : offset + 16 + length]
        offset += 16 + length
        if frame[12:14] != b"\x08\x00" or frame[23] != 17:  # IPv4, UDP
            continue
        rtp = frame[14 + (frame[14] & 0x0F) * 4 + 8 :]
        if len(rtp) > 12 and rtp[0] >> 6 == 2 and rtp[1] & 0x7F in _DECODE:
            packets.append(RtpPacket(rtp[1] & 0x7F, rtp[12 + (rtp[0] & 0x0F) * 4 :]))
    return packets


def samples_of(path: Path) -> list[int]:
    """The audio of a pcap's G.711 RTP packets, one after the other, as 16-bit samples."""
    samples: list[int] = []
    for packet in read_rtp(path):
        samples += decode(packet.payload_type, packet.payload)
    return samples


# -- what the phones play ---------------------------------------------------------------------


def tone_pcap(
    directory: Path,
    *,
    frequency_hz: float = 1000.0,
    seconds: float = 30.0,
    level_dbfs: float = -10.0,
    codec: Codec = "PCMU",
) -> Path:
    """Write ``<directory>/tone-<frequency>hz.pcap``: a sine of ``frequency_hz`` at
    ``level_dbfs`` (peak, relative to full scale) for ``seconds``; return its path."""
    if not 0 < frequency_hz < RATE / 2:
        raise ValueError(f"frequency_hz: between 0 and {RATE // 2} Hz, got {frequency_hz}")
    if not 0 < seconds <= 3600:
        raise ValueError(f"seconds: up to an hour, got {seconds}")
    amplitude = 32767 * 10 ** (level_dbfs / 20)
    encode = ulaw_encode if codec == "PCMU" else alaw_encode
    per_packet = RATE * PTIME_MS // 1000
    count = math.ceil(seconds * 1000 / PTIME_MS)
    step = 2 * math.pi * frequency_hz / RATE

    def packets() -> Iterator[RtpPacket]:
        for n in range(count):
            first = n * per_packet
            payload = bytes(
                encode(round(amplitude * math.sin(step * (first + i)))) for i in range(per_packet)
            )
            yield RtpPacket(PAYLOAD_TYPES[codec], payload)

    directory.mkdir(parents=True, exist_ok=True)
    return write_pcap(directory / f"tone-{frequency_hz:g}hz.pcap", packets())


def looped_pcap(source: Path, directory: Path, *, seconds: float) -> Path:
    """Write ``<directory>/<source stem>-<seconds>s.pcap``: the RTP audio of ``source``
    played again and again for at least ``seconds``; return its path."""
    packets = read_rtp(source)
    samples = sum(len(p.payload) for p in packets)
    if not samples:
        raise ValueError(f"{source}: no G.711 RTP packet")
    if not 0 < seconds <= 3600:
        raise ValueError(f"seconds: up to an hour, got {seconds}")
    rounds = math.ceil(seconds * RATE / samples)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{source.stem}-{seconds:g}s.pcap"
    return write_pcap(path, (p for _ in range(rounds) for p in packets))


__all__ = [
    "Codec",
    "PAYLOAD_TYPES",
    "RATE",
    "RtpPacket",
    "alaw_encode",
    "decode",
    "looped_pcap",
    "read_rtp",
    "samples_of",
    "tone_pcap",
    "ulaw_encode",
    "write_pcap",
]
