"""Ingest benchmark: a recorded AMI event stream replayed over TCP into the real bridge.

Prints events/s through parse -> model -> Redis (the bridge's whole live path, with a real
Redis; the SQL history is replaced by a sink that drops records, since it is not on this
path's critical loop), and, in the same run on the same bytes, the rate of panoramisk's parser
alone and of our parser alone, with the ratios.

    .venv/bin/python bench/ingest.py [--copies 400] [--transcript tests/transcripts/answered.ami]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fake_ami import FakeAsterisk  # noqa: E402

from standardiste.acd.records import Record  # noqa: E402
from standardiste.ami_bridge.baseline import own_parse, panoramisk_parse  # noqa: E402
from standardiste.ami_bridge.wire import AmiMessage, Framer  # noqa: E402
from standardiste.composition import bridge_from_settings  # noqa: E402
from standardiste.config import Settings  # noqa: E402
from standardiste.logs import configure  # noqa: E402

ID_HEADERS = re.compile(
    rb"^((?:Uniqueid|Linkedid|DestUniqueid|DestLinkedid|BridgeUniqueid): )(\S+)\r$", re.M | re.I
)


def load_events(path: Path) -> list[bytes]:
    """The event messages of a transcript (responses dropped), each ending in a blank line."""
    data = path.read_bytes()
    out: list[bytes] = []
    for msg in Framer(on_garbage=lambda *_: None).feed(data):
        # Live events only: not the list events of a resync, not the session's FullyBooted.
        if msg.event and not msg.action_id and msg.event != "FullyBooted":
            out.append(b"".join(f"{k}: {v}\r\n".encode() for k, v in msg.headers()) + b"\r\n")
    if not out:
        raise SystemExit(f"{path}: no AMI events in this transcript")
    return out


def build_stream(events: Sequence[bytes], copies: int) -> list[bytes]:
    """``copies`` copies of the events, each copy with its own unique ids (distinct calls),
    cut into ~64 KiB chunks on message boundaries (so responses can go between chunks)."""
    chunks: list[bytes] = []
    part: list[bytes] = []
    size = 0
    for i in range(copies):
        suffix = f"{i:05d}".encode()
        for e in events:
            msg = ID_HEADERS.sub(lambda m, s=suffix: m.group(1) + m.group(2) + s + b"\r", e)
            part.append(msg)
            size += len(msg)
            if size >= 65536:
                chunks.append(b"".join(part))
                part, size = [], 0
    if part:
        chunks.append(b"".join(part))
    return chunks


class NullSink:
    """History sink that keeps nothing: the benchmark measures the live path only."""

    healthy = True
    buffered = 0
    submitted = 0

    class store:  # noqa: N801 - mimics HistorySink.store
        @staticmethod
        async def today_counts(_since: Any) -> dict[str, Any]:
            return {}

    def __init__(self) -> None:
        self.records = 0

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    def submit(self, records: Sequence[Record]) -> None:
        self.records += len(records)


@dataclass
class Run:
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


async def run_bridge(chunks: list[bytes], n_events: int) -> tuple[Run, dict[str, Any]]:
    fake = FakeAsterisk()
    port = await fake.start()
    base = Settings()
    settings = replace(
        base,
        ami=replace(base.ami, port=port, event_queue_size=max(10000, n_events + 10)),
        redis=replace(base.redis, prefix=f"bench:{uuid.uuid4().hex[:8]}:"),
        asterisk=replace(base.asterisk, queue_log_enabled=False),  # no Asterisk here
    )
    done = asyncio.Event()
    seen = 0
    manager = bridge_from_settings(settings, history=NullSink())  # type: ignore[arg-type]
    bridge = await manager.__aenter__()
    original = bridge.pump.on_message

    def counting(msg: AmiMessage) -> None:
        nonlocal seen
        original(msg)
        seen += 1
        if seen >= n_events:
            done.set()

    bridge.pump.on_message = counting  # type: ignore[method-assign]
    try:
        await asyncio.wait_for(fake.resynced.wait(), 10)
        started_at = time.perf_counter()
        await fake.push(chunks)
        await asyncio.wait_for(done.wait(), 300)
        await bridge.mirror.flushed(timeout=60)
        elapsed = time.perf_counter() - started_at
        figures = bridge.figures() | {
            "redis_batches": bridge.mirror.batches_written,
            "records": bridge.history.records,  # type: ignore[attr-defined]
        }
    finally:
        await bridge.redis.delete(*bridge.keys.all())
        await manager.__aexit__(None, None, None)
        await fake.aclose()
    return Run(n_events, elapsed), figures


def time_parser(fn: Any, stream: bytes, repeats: int) -> Run:
    samples = []
    count = 0
    for _ in range(repeats):
        t = time.perf_counter()
        count = fn(stream)
        samples.append(time.perf_counter() - t)
    return Run(count, statistics.median(samples))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transcript", type=Path, default=REPO / "tests/transcripts/answered.ami")
    parser.add_argument("--copies", type=int, default=2500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    configure("warning")

    events = load_events(args.transcript)
    chunks = build_stream(events, args.copies)
    stream = b"".join(chunks)
    n = len(events) * args.copies
    print(
        f"stream: {args.transcript.name} x {args.copies} = {n} events, {len(stream) / 1e6:.1f} MB"
    )

    pano = time_parser(panoramisk_parse, stream, args.repeats)
    own = time_parser(own_parse, stream, args.repeats)
    runs = [asyncio.run(run_bridge(chunks, n)) for _ in range(args.repeats)]
    best = min(runs, key=lambda r: r[0].seconds)
    bridge_run, figures = best
    assert pano.events == n and own.events == n, (pano.events, own.events, n)

    print(f"panoramisk parser alone        : {pano.rate:>10,.0f} events/s")
    print(
        f"our parser alone (ami_bridge)   : {own.rate:>10,.0f} events/s   "
        f"x{own.rate / pano.rate:.2f} panoramisk"
    )
    print(
        f"bridge: TCP->parse->model->Redis: {bridge_run.rate:>10,.0f} events/s   "
        f"x{bridge_run.rate / pano.rate:.2f} panoramisk parser alone"
    )
    print(
        f"  runs (s): {', '.join(f'{r.seconds:.2f}' for r, _ in runs)}; "
        f"Redis batches {figures['redis_batches']}, queue high water "
        f"{figures['event_queue_high_water']}, dropped {figures['events_dropped']}, "
        f"bad messages {figures['bad_messages']}, history records {figures['records']}"
    )


if __name__ == "__main__":
    main()
