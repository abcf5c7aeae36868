"""The pcaps the sipp phones play (standardiste.tools.tone): valid RTP in valid frames, the
audio they were asked for, G.711 as the standard says."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pytest

from standardiste.tools.sipp import SPEECH
from standardiste.tools.tone import (
    alaw_encode,
    decode,
    looped_pcap,
    read_rtp,
    samples_of,
    tone_pcap,
    ulaw_encode,
)


def records(path: Path) -> list[tuple[float, bytes]]:
    """(capture time, frame) of each record of a little-endian Ethernet pcap."""
    data = path.read_bytes()
    assert struct.unpack("<IHHiIII", data[:24]) == (0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    result, offset = [], 24
    while offset < len(data):
        seconds, micros, length, original = struct.unpack("<IIII", data[offset : offset + 16])
        assert length == original
        result.append((seconds + micros / 1e6, data[offset + 16 : offset + 16 + length]))
        offset += 16 + length
    return result


def ones_complement_sum(data: bytes) -> int:
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


@pytest.mark.parametrize(("codec", "payload_type"), [("PCMU", 0), ("PCMA", 8)])
def test_a_tone_pcap_is_a_paced_rtp_stream_of_the_tone(
    tmp_path: Path, codec: str, payload_type: int
) -> None:
    path = tone_pcap(tmp_path, frequency_hz=1000, seconds=2, codec=codec)  # type: ignore[arg-type]
    assert path == tmp_path / "tone-1000hz.pcap"
    frames = records(path)
    assert len(frames) == 100  # 20 ms each
    times = [t for t, _ in frames]
    assert all(abs(b - a - 0.02) < 1e-6 for a, b in zip(times, times[1:], strict=False))
    sequence, stamps = [], []
    for _, frame in frames:
        ip, udp, rtp = frame[14:34], frame[34:42], frame[42:]
        assert frame[12:14] == b"\x08\x00" and ip[9] == 17  # IPv4, UDP
        assert ones_complement_sum(ip) == 0xFFFF  # header checksum
        assert struct.unpack("!H", udp[4:6])[0] == 8 + len(rtp) == 8 + 12 + 160
        assert rtp[0] == 0x80 and rtp[1] & 0x7F == payload_type
        sequence.append(struct.unpack("!H", rtp[2:4])[0])
        stamps.append(struct.unpack("!I", rtp[4:8])[0])
    assert sequence == list(range(100))
    assert stamps == [160 * n for n in range(100)]

    samples = samples_of(path)
    peak = 32767 * 10 ** (-10 / 20)
    # G.711 keeps every sample within a few percent of the sine it encodes.
    for n, sample in enumerate(samples[:400]):
        expected = peak * math.sin(2 * math.pi * 1000 * n / 8000)
        assert abs(sample - expected) <= 0.04 * abs(expected) + 16, (n, sample, expected)


def test_a_looped_pcap_repeats_the_source_for_as_long_as_asked(tmp_path: Path) -> None:
    source = read_rtp(SPEECH)
    path = looped_pcap(SPEECH, tmp_path, seconds=20)
    looped = read_rtp(path)
    assert path.name == "g711a-20s.pcap"
    assert len(looped) % len(source) == 0 and len(looped) > len(source)
    assert sum(len(p.payload) for p in looped) >= 20 * 8000
    assert looped[: len(source)] == source == looped[len(source) : 2 * len(source)]
    times = [t for t, _ in records(path)]
    assert times == sorted(times) and times[-1] - times[0] >= 19


def test_g711_round_trips_within_its_quantisation_step() -> None:
    assert (ulaw_encode(0), alaw_encode(0)) == (0xFF, 0xD5)  # the silence bytes
    for sample in range(-32768, 32768, 97):
        for payload_type, encode in ((0, ulaw_encode), (8, alaw_encode)):
            [back] = decode(payload_type, bytes([encode(sample)]))
            # The step grows with the magnitude: 1/16 of it, plus the smallest steps.
            assert abs(back - sample) <= abs(sample) / 16 + 32, (payload_type, sample, back)


def test_invalid_requests_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="frequency_hz"):
        tone_pcap(tmp_path, frequency_hz=4000)
    with pytest.raises(ValueError, match="seconds"):
        tone_pcap(tmp_path, seconds=0)
    empty = tmp_path / "empty.pcap"
    empty.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    with pytest.raises(ValueError, match="no G.711"):
        looped_pcap(empty, tmp_path, seconds=5)
