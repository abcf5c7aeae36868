"""An uploaded sound file converted to what Asterisk plays without transcoding work: WAV,
8 kHz, mono, 16-bit signed PCM (``format_wav``), for the canned audio messages (AG-3).

``sox`` does the conversion (Debian's ``sox`` package, installed by scripts/setup.sh): it
reads WAV, FLAC, Ogg Vorbis, AIFF, AU and more, recognised by their content (the upload is
written under a fixed name without an extension, so nothing the client sends chooses a
format, a playlist or a path). It runs as a subprocess with an argument list (no shell)
and a timeout, on a file size the caller bounded, and its output is cut at ``max_seconds``
+ 1 so that a small compressed file cannot unfold into hours of audio. What sox cannot read
is an ``InvalidInput`` with sox's reason.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from standardiste.errors import InvalidInput

RATE = 8000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_SECONDS = 60.0
TIMEOUT_S = 20.0
READABLE = "WAV, FLAC, Ogg Vorbis, AIFF, AU"


class SoxMissing(RuntimeError):
    """The converter is not installed where this process runs (a deployment problem)."""


@dataclass(frozen=True, slots=True)
class Converted:
    wav: bytes  # 8 kHz mono 16-bit WAV
    seconds: float

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.wav).hexdigest()


def convert(
    data: bytes,
    *,
    max_seconds: float = MAX_SECONDS,
    timeout: float = TIMEOUT_S,
    sox: str = "sox",
) -> Converted:
    """``data`` (a sound file of any format sox reads) as Asterisk's WAV. Blocking: the web
    runs it in a thread."""
    if not data:
        raise InvalidInput("the sound file is empty")
    with tempfile.TemporaryDirectory(prefix="standardiste-sound-") as tmp:
        source, target = Path(tmp) / "upload", Path(tmp) / "converted.wav"
        source.write_bytes(data)
        command = [
            sox, "--no-glob", "-V1", str(source),
            "-t", "wav", "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer",
            str(target), "trim", "0", f"{max_seconds + 1:g}",
        ]  # fmt: skip
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL
            )
        except FileNotFoundError:
            raise SoxMissing(f"{sox} is not installed: it converts the sound files") from None
        except subprocess.TimeoutExpired:
            raise InvalidInput(
                f"the sound file could not be converted within {timeout:g} s"
            ) from None
        if done.returncode != 0:
            reason = _reason(done.stderr.decode("utf-8", "replace"), str(source))
            raise InvalidInput(
                f"the file is not a sound file sox can read ({READABLE}...): {reason}"
            )
        wav = target.read_bytes()
    seconds = wav_seconds(wav)
    if seconds <= 0:
        raise InvalidInput("the sound file holds no audio")
    if seconds > max_seconds:
        raise InvalidInput(
            f"the sound lasts more than {max_seconds:g} s: cut it to {max_seconds:g} s at most"
        )
    return Converted(wav, seconds)


def wav_seconds(wav: bytes) -> float:
    """The length of an 8 kHz mono 16-bit WAV (what :func:`convert` makes)."""
    try:
        with wave.open(io.BytesIO(wav)) as audio:
            if (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) != (RATE, 1, 2):
                raise InvalidInput("the converted sound is not 8 kHz mono 16-bit")
            return float(audio.getnframes()) / RATE
    except (wave.Error, EOFError) as exc:
        raise InvalidInput(f"the converted sound is not a WAV file ({exc})") from None


def _reason(stderr: str, path: str) -> str:
    """sox's complaint without our temporary file's path."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    text = lines[-1] if lines else "unknown error"
    text = text.replace(f" `{path}'", "").replace(path, "the file")
    return text.removeprefix("sox FAIL ").removeprefix("sox: ")[:200]


__all__ = ["MAX_SECONDS", "MAX_UPLOAD_BYTES", "Converted", "SoxMissing", "convert", "wav_seconds"]
