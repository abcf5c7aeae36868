"""The ear of the audio tests (audio.py) tells the tone from speech and silence, with a margin:
what the phones play, decoded from their pcaps and analysed with sox (no Asterisk needed)."""

from __future__ import annotations

import random
from pathlib import Path

from audio import (
    TONE_DBFS,
    analyse,
    band_levels,
    hears_tone,
    speech_fixture,  # noqa: F401
    tone_fixture,  # noqa: F401
    write_wav,
)

from standardiste.tools.tone import samples_of

MARGIN_DB = 8.0  # both sides of the threshold stay this far from it


def test_the_tone_is_heard_alone_and_over_speech(tone: Path, speech: Path, tmp_path: Path) -> None:
    pure = samples_of(tone)[: 8000 * 5]
    talk = samples_of(speech)[: len(pure)]
    mixed = [max(-32768, min(32767, a + b)) for a, b in zip(pure, talk, strict=True)]
    for name, samples in (("tone", pure), ("tone over speech", mixed)):
        path = write_wav(tmp_path / f"{name}.wav", samples)
        assert hears_tone(path), name
        assert min(band_levels(path)) > TONE_DBFS + MARGIN_DB, (name, band_levels(path))


def test_speech_silence_and_noise_are_not_the_tone(speech: Path, tmp_path: Path) -> None:
    noise = random.Random(8)
    cases = {
        "speech": samples_of(speech)[: 8000 * 20],
        "silence": [0] * 8000 * 5,
        "white noise at -20 dBFS": [round(noise.gauss(0, 3277)) for _ in range(8000 * 5)],
    }
    for name, samples in cases.items():
        path = write_wav(tmp_path / f"{name}.wav", samples)
        assert not hears_tone(path), name
        assert max(band_levels(path)) < TONE_DBFS - MARGIN_DB, (name, band_levels(path))
    # The speech is a real signal, not a quiet one that would pass for anything.
    assert analyse(tmp_path / "speech.wav").sound
