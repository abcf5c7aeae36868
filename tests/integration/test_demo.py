"""``standardiste demo`` end to end, minus the process: the demo's composition for ~20 s with real
sipp phones and callers against the sandbox, then its shutdown.

What an operator would notice: calls got answered by the (sipp) agents and some callers gave up,
the banner shows where to go and how to log in (and the login works), and after Ctrl-C nothing
is left behind: no sipp, no private redis-server, no extra Asterisk, no logged-in demo agent, no
call, and the sandbox that was already up is still up, the same process.

The configured Redis URL points where nothing answers, so the demo's own redis-server runs.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import socket
from dataclasses import replace
from pathlib import Path

import aiohttp
from ami_raw import RawAMI
from conftest import CONFIG_DIR, cache_dir
from live import eventually, sql_rows

from standardiste.config import Settings
from standardiste.tools import sandbox as sb
from standardiste.tools.demo import DemoOptions, run_demo
from standardiste.tools.traffic import DEMO_AGENTS, TrafficConfig

RUN_S = 20.0
# Busier than the real demo so that 20 s show both outcomes: more callers than four agents
# can take (talk + 5 s wrap-up each), half of them giving up after 1-2.5 s in line.
TRAFFIC = TrafficConfig(
    arrival_s=(0.5, 1.2),
    max_callers=6,
    impatient_share=0.5,
    patience_s=(1.0, 2.5),
    answer_delay_s=(0.5, 1.5),
    talk_s=(2.0, 4.0),
    pause_every_s=(4.0, 6.0),
    pause_for_s=(2.0, 3.0),
)


async def _value(text: str) -> str:
    return text


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def processes() -> list[tuple[int, str, int, str]]:
    """(pid, comm, ppid, root) of every process, read from /proc (zombies included)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        try:
            root = os.readlink(entry / "root")
        except OSError:  # a zombie has no root link
            root = ""
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        found.append((int(entry.name), comm, ppid, root))
    return found


def children(name: str) -> list[int]:
    """Processes called ``name`` (even zombies) whose parent is this test process."""
    return [pid for pid, comm, ppid, _ in processes() if comm == name and ppid == os.getpid()]


def asterisks_in(root: Path) -> list[int]:
    return [pid for pid, comm, _, r in processes() if comm == "asterisk" and r == str(root)]


def udp_bound(port: int) -> bool:
    needle = f"0100007F:{port:04X}"  # 127.0.0.1
    with open("/proc/net/udp") as f:
        return any(line.split()[1] == needle for line in f.readlines()[1:])


async def test_demo_answers_real_calls_and_leaves_nothing_behind(
    sandbox: sb.SandboxInfo, ami: RawAMI, tmp_path: Path
) -> None:
    before = sb.status(sandbox.root)
    assert before.running
    base = Settings()
    # Nothing answers there: the demo starts (and stops) a private redis-server.
    silent_redis = f"redis://127.0.0.1:{free_tcp_port()}/0"
    settings = replace(
        base,
        ami=replace(base.ami, port=sandbox.ami_port, ping_interval=1.0, ping_timeout=1.0),
        redis=replace(base.redis, url=silent_redis),
        sandbox=replace(base.sandbox, cache_dir=cache_dir(), config_dir=CONFIG_DIR),
        web=replace(base.web, port=free_tcp_port()),
        # The sandbox's queue_log holds other tests' calls of the day (see conftest).
        asterisk=replace(base.asterisk, queue_log_enabled=False),
    )
    options = DemoOptions(var_dir=tmp_path / "var", traffic=TRAFFIC, seed=11)
    out = io.StringIO()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    stopped_at: list[float] = []

    def ctrl_c() -> None:
        stopped_at.append(loop.time())
        stop.set()

    loop.call_later(RUN_S, ctrl_c)
    demo = asyncio.create_task(run_demo(settings, stop, options, out))
    try:
        # While it runs: the printed supervisor login opens a session on the printed URL.
        await eventually(
            lambda: _value(out.getvalue()),
            lambda t: "Press Ctrl-C" in t or demo.done(),
            60,
            "the demo's banner",
        )
        assert not demo.done(), out.getvalue()
        url = f"http://127.0.0.1:{settings.web.port}/"
        assert f"Dashboard  {url}" in out.getvalue()
        match = re.search(r"^ +sophie +(\S+) +supervisor", out.getvalue(), re.MULTILINE)
        assert match, out.getvalue()
        async with aiohttp.ClientSession() as http:
            async with http.get(url + "readyz") as resp:
                assert resp.status == 200, await resp.text()
            login = {"username": "sophie", "password": match.group(1)}
            async with http.post(url + "api/v1/session", json=login) as resp:
                assert resp.status == 200, await resp.text()
                assert (await resp.json())["user"]["role"] == "supervisor"
            # The printed admin sees the demo's queues as its stored configuration.
            admin = re.search(r"^ +admin +(\S+) +admin", out.getvalue(), re.MULTILINE)
            assert admin, out.getvalue()
            jar = aiohttp.CookieJar(unsafe=True)  # cookies of 127.0.0.1
            async with aiohttp.ClientSession(cookie_jar=jar) as as_admin:
                body = {"username": "admin", "password": admin.group(1)}
                async with as_admin.post(url + "api/v1/session", json=body) as resp:
                    assert resp.status == 200, await resp.text()
                async with as_admin.get(url + "api/v1/admin/queues") as resp:
                    queues = (await resp.json())["queues"]
                    assert [q["settings"]["extension"] for q in queues] == ["5000", "5001"]
        report = await asyncio.wait_for(demo, RUN_S + 90)
    finally:
        if not demo.done():
            stop.set()
            await asyncio.wait({demo}, timeout=60)
    shutdown_s = loop.time() - stopped_at[0]
    text = out.getvalue()

    # The banner: where to go and how to log in.
    assert "Standardiste demo is running." in text
    assert report.web_url == url
    assert [login.username for login in report.logins] == [
        "admin",
        "sophie",
        "alice",
        "bruno",
        "chloe",
        "david",
    ]
    for login in report.logins:
        assert f"{login.username:<8} {login.password}" in text
    assert "Demo stopped." in text
    assert report.private_redis and report.redis_url != silent_redis
    assert f"Redis      {report.redis_url} (private redis-server" in text

    # Real calls, answered by the sipp agents; some callers gave up while waiting.
    rows = await sql_rows(report.database_url, "select outcome, agent, talk from queue_calls")
    answered = [r for r in rows if r["outcome"] == "answered"]
    assert answered, rows
    assert {r["agent"] for r in answered} <= {a.interface for a in DEMO_AGENTS}
    assert any(r["talk"] is not None for r in answered)  # at least one call ended normally
    assert any(r["outcome"] == "abandoned" for r in rows), rows
    # The demo's callback campaign filled from the callers who gave up (SV-10's rule).
    assert report.campaign == "Missed calls" and "Campaign   'Missed calls'" in text
    contacts = await sql_rows(report.database_url, "select source, queue from campaign_contacts")
    assert contacts and {c["source"] for c in contacts} == {"missed"}, contacts
    assert report.traffic is not None and report.traffic.pauses >= 1
    events = await sql_rows(
        report.database_url, "select action, by from agent_events where action = 'pause'"
    )
    assert events and {e["by"] for e in events} == {"demo"}

    # Shut down in bounded time, leaving the sandbox as it was: up, same Asterisk process.
    assert shutdown_s < 30, shutdown_s
    assert not report.sandbox_started
    after = sb.status(sandbox.root)
    assert (after.running, after.pid) == (True, before.pid)
    assert asterisks_in(sandbox.root) == [before.pid]
    assert children("sipp") == []
    assert children("redis-server") == []
    assert not any(udp_bound(a.port) for a in DEMO_AGENTS)
    status = await ami.action_list("QueueStatus")
    members = [m for m in status if m.get("Event") == "QueueMember"]
    assert not [m for m in members if m["Location"] in {a.interface for a in DEMO_AGENTS}]

    async def channels() -> list[dict[str, str]]:
        found = await ami.action_list("CoreShowChannels")
        return [c for c in found if c.get("Event") == "CoreShowChannel"]

    await eventually(channels, lambda c: c == [], 5, "no call left in Asterisk")
