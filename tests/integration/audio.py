"""Did a party hear the tone? Analysis of WAV files with sox.

The supervisor's phone plays a pure tone (``standardiste.tools.tone.tone_pcap``: 1 kHz,
-10 dBFS peak, i.e. about -13 dBFS RMS). sox keeps only a narrow band around the tone
(``sinc`` band-pass, 100 Hz wide) and this module measures that band's RMS level over
half-second windows. The tone, even mixed with speech, keeps its band near -13 dBFS; speech
puts there a small part of its energy (sip-tester's sample: -35 dBFS at most), silence nothing.
``TONE_DBFS`` sits in between; ``hears_tone`` asks for a second of such windows so a click or
a burst of speech cannot pass for the tone.
"""

from __future__ import annotations

import array
import math
import struct
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import pytest

from standardiste.tools.sipp import SPEECH
from standardiste.tools.tone import RATE, looped_pcap, tone_pcap

TONE_HZ = 1000.0
TONE_DBFS = -24.0  # band level that counts as the tone (see the module's docstring)
MIN_TONE_S = 1.0  # how long the tone must last to count as heard
SOUND_DBFS = -45.0  # a leg above this carries sound (speech: about -25 dBFS)
WINDOW_S = 0.5
SILENT_DBFS = -120.0  # the level of an empty window


def _samples(path: Path, *effect: str) -> array.array[int]:
    """``path`` as 8 kHz mono 16-bit samples, through sox ``effect`` (none: as is)."""
    raw = subprocess.run(
        ["sox", "-D", "-V1", str(path), "-t", "raw", "-e", "signed", "-b", "16", "-c", "1",
         "-r", str(RATE), "-", *effect],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    return array.array("h", raw)


def _dbfs(samples: array.array[int]) -> float:
    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0
    return 20 * math.log10(rms / 32768) if rms else SILENT_DBFS


def level(path: Path) -> float:
    """RMS level (dBFS) of the whole of ``path``, all frequencies."""
    return _dbfs(_samples(path))


def band_levels(
    path: Path, frequency_hz: float = TONE_HZ, window_s: float = WINDOW_S
) -> list[float]:
    """RMS level (dBFS) of the band ``frequency_hz`` +- 50 Hz in each ``window_s`` of ``path``
    (any format sox reads; resampled to 8 kHz mono)."""
    samples = _samples(path, "sinc", f"{frequency_hz - 50:g}-{frequency_hz + 50:g}")
    size = max(1, round(window_s * RATE))
    return [_dbfs(samples[i : i + size]) for i in range(0, len(samples) - size + 1, size)]


def tone_seconds(
    path: Path, frequency_hz: float = TONE_HZ, threshold_dbfs: float = TONE_DBFS
) -> float:
    """How long (s) the tone is heard in ``path``: windows whose band is above threshold."""
    return WINDOW_S * sum(1 for db in band_levels(path, frequency_hz) if db > threshold_dbfs)


def hears_tone(path: Path, min_seconds: float = MIN_TONE_S) -> bool:
    """Is the tone in ``path`` for at least ``min_seconds``?"""
    return tone_seconds(path) >= min_seconds


@dataclass(frozen=True)
class Heard:
    """What a recording of one party's ear holds (its repr makes a useful assert message)."""

    path: Path
    seconds: float  # length of the audio
    level_dbfs: float  # overall level
    tone_seconds: float  # how long the tone is in it

    @property
    def tone(self) -> bool:
        """The tone is heard (see ``hears_tone``)."""
        return self.tone_seconds >= MIN_TONE_S

    @property
    def sound(self) -> bool:
        """Audio reached this party (so "no tone" is not merely a dead leg)."""
        return self.seconds > 0 and self.level_dbfs > SOUND_DBFS


def analyse(path: Path) -> Heard:
    """Length, level and tone of a WAV file."""
    return Heard(path, duration(path), level(path), tone_seconds(path))


def write_wav(path: Path, samples: list[int]) -> Path:
    """Signed 16-bit samples at 8 kHz as a mono WAV file."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return path


def duration(path: Path) -> float:
    """Length (s) of a WAV file; 0.0 while its header is not final (or it is missing)."""
    try:
        with wave.open(str(path)) as audio:
            return audio.getnframes() / audio.getframerate()
    except (FileNotFoundError, EOFError, wave.Error):
        return 0.0


@pytest.fixture(name="tone", scope="session")
def tone_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pcap of the tone (TONE_HZ) for 30 s: the supervisor's phone plays it (from the start
    of each call it answers)."""
    return tone_pcap(tmp_path_factory.mktemp("tone"), frequency_hz=TONE_HZ, seconds=30)


@pytest.fixture(name="speech", scope="session")
def speech_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sip-tester's speech sample looped to 60 s: a party that talks through a whole test."""
    return looped_pcap(SPEECH, tmp_path_factory.mktemp("speech"), seconds=60)
