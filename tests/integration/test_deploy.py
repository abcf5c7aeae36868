"""README "Deploy on your Asterisk", followed on a PBX that is not the demo's.

The PBX is ``deploy_pbx/``: Asterisk's own example company (basic-pbx) — its phones 1101..1112,
its trunk ``dcs-endpoint``, its contexts ``DCS-Incoming`` and ``Long-Distance``, its queue
``customer_advocate``, its module list (none of the modules Standardiste's dialplan needs),
and Debian's stock ``manager.conf`` (AMI off). Nothing of the demo's configuration is used.

The README's shell blocks marked ``<!-- deploy-test: NAME -->`` are run *as written*:

- ``chroot``: the system user, the settings file, the Asterisk files, includes, secret and
  directories, run by bash inside the sandbox's root (a Debian with Asterisk's own package
  and its ``asterisk`` user) against the running stock PBX; the checkout's ``config/`` is
  where the README clones it (``/usr/local/src/standardiste``);
- ``postgresql``: against the test's PostgreSQL, with ``runuser -u postgres -- psql``
  replaced by a psql to that server and the role and database named for this test;
- ``database``: ``db upgrade`` and ``user add`` as processes, ``/opt/standardiste/bin/
  standardiste`` being this checkout's.

The two lines that go into the admin's own contexts are the README's example lines, put at
the end of this PBX's contexts, as the README says. Asterisk is then restarted, and the
bridge and the web run as the systemd units say (their ``ExecStart`` and ``Environment``),
with the settings file the README's steps produced. What differs from a real host is passed
as environment variables, each explained in ``deployment_env``: the host paths into the
sandbox root, the test's database and Redis prefix, a free web port, plain HTTP (no proxy
here).

Then, as the done criterion says: the first admin logs in and creates a skill, a pause
reason, a queue with a number and a user with a device of this PBX; the user logs in, and a
call from the trunk to the queue's number rings that user's phone (sipp), is answered,
counted and in the PostgreSQL history; the PBX's own queue still gets its number's calls and
a number of no queue is refused; a pause with the new reason is Asterisk's QueuePause
reason. How long a queue creation and a queue change take to be live in Asterisk is printed
(not asserted).

The sandbox root is shared by the whole test session: the test stops the demo's Asterisk if
it runs, uses the root with this PBX, and brings the demo back up afterwards (only if it was
running), after removing what the README's steps added outside ``/etc/asterisk`` (which the
next ``sandbox.up`` replaces anyway).
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from ami_raw import RawAMI
from conftest import CONFIG_DIR, REPO, cache_dir
from live import ApiUser, eventually

from standardiste.bridge_status import read_status
from standardiste.redis_keys import RedisKeys
from standardiste.tools import sandbox as sb
from standardiste.tools.sipp import AgentPhone, place_call

README = REPO / "README.md"
PBX_DIR = Path(__file__).resolve().parent / "deploy_pbx"
UNITS = REPO / "config" / "deploy" / "systemd"
CHECKOUT_IN_ROOT = "usr/local/src/standardiste"  # where the README's commands clone it
CLI = "/opt/standardiste/bin/standardiste"
SETTINGS = "/etc/standardiste/standardiste.toml"

# This PBX's own names: the trunk (identified by its address), a phone and its sipp port.
TRUNK_ADDRESS = "127.0.0.3"
INBOUND_CONTEXT, PHONES_CONTEXT = "DCS-Incoming", "Long-Distance"
DEVICE, PHONE_NUMBER, PHONE_PORT = "PJSIP/1105", "1105", 5105
# The sandbox's queue_log is shared by every run of the day, and the bridge reads it (the
# deployment's default): a name of this run's, so earlier runs' calls are not ours.
QUEUE = f"advice-{uuid.uuid4().hex[:6]}"
QUEUE_NUMBER = "2565551300"  # a number in the company's DID range
OWN_QUEUE, OWN_QUEUE_NUMBER = "customer_advocate", "2565551250"  # the PBX's own queue

pytestmark = pytest.mark.timeout(240)


# -------------------------------------------------------------------- the README's blocks
def readme_blocks() -> dict[str, list[str]]:
    """The README's shell blocks marked ``<!-- deploy-test: NAME -->``, by name, in order."""
    found: dict[str, list[str]] = {}
    pattern = r"<!-- deploy-test: ([a-z]+) -->\n```sh\n(.*?)\n```"
    for match in re.finditer(pattern, README.read_text(encoding="utf-8"), re.S):
        found.setdefault(match.group(1), []).append(match.group(2) + "\n")
    return found


def substituted(block: str, replacements: list[tuple[str, str]]) -> str:
    """``block`` with each replacement made; each must apply (the README changed otherwise)."""
    for old, new in replacements:
        assert old in block, f"the README's block no longer has {old!r}:\n{block}"
        block = block.replace(old, new)
    return block


def commands(block: str) -> list[list[str]]:
    """The block's commands (continuation lines joined), split as the shell would."""
    joined = block.replace("\\\n", " ")
    return [shlex.split(line) for line in joined.splitlines() if line.strip()]


def run(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120, **kw)
    assert proc.returncode == 0, (
        f"{shlex.join(cmd)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    )
    return proc


def add_include(extensions: Path, context: str, include: str) -> None:
    """The admin's edit: ``include => <include>`` at the end of their context ``context``."""
    text = extensions.read_text()
    header = f"[{context}]\n"
    assert text.count(header) == 1, f"no single [{context}] in {extensions}"
    start = text.index(header) + len(header)
    following = re.search(r"^\[", text[start:], re.M)
    end = start + following.start() if following else len(text)
    body = text[start:end].rstrip("\n")
    extensions.write_text(f"{text[:start]}{body}\ninclude => {include}\n\n{text[end:]}")


def passwd_ids(root: Path, name: str) -> tuple[int, int]:
    """(uid, primary gid) of user ``name`` in the root's /etc/passwd."""
    for line in (root / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == name:
            return int(fields[2]), int(fields[3])
    raise AssertionError(f"no user {name} in {root}/etc/passwd")


def tcp_listeners(port: int) -> set[str]:
    """Local addresses listening on TCP ``port`` (from /proc/net/tcp)."""
    found = set()
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -------------------------------------------------------------------- fixtures
def _clean_root(root: Path) -> None:
    """What the README's steps added outside etc/asterisk (which sandbox.up replaces)."""
    shutil.rmtree(root / CHECKOUT_IN_ROOT, ignore_errors=True)
    shutil.rmtree(root / "etc/standardiste", ignore_errors=True)
    subprocess.run(["chroot", str(root), "userdel", "standardiste"], capture_output=True,
                   check=False)  # fmt: skip


@pytest.fixture
def stock_pbx() -> Iterator[sb.SandboxInfo]:
    """The sandbox root running this PBX as it was before Standardiste (AMI off)."""
    if os.geteuid() != 0:
        pytest.fail("the Asterisk sandbox needs root (chroot, mount --bind): run the tests as root")
    for tool in ("sipp", "chroot", "psql"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: run scripts/setup.sh (make test does)")
    root = sb.build_root(cache_dir())
    was_running = sb.status(root).running
    sb.down(root)  # the demo's Asterisk of the session, if it ran: back up at the end
    _clean_root(root)
    try:
        yield sb.up(root, PBX_DIR, generated={})
    finally:
        sb.down(root)
        _clean_root(root)
        if was_running:
            sb.up(root, CONFIG_DIR)


@dataclass
class Deployment:
    """What the README's shell steps left: the running PBX, the settings and their secrets."""

    info: sb.SandboxInfo
    settings: Path  # the settings file the steps produced (in the root)
    ami_secret: str
    admin_password: str
    env: dict[str, str]  # deployment_env: what differs from a real host
    keys: RedisKeys
    web_port: int


@pytest.fixture
def deployed(
    stock_pbx: sb.SandboxInfo, pg_server: tuple[str, int], tmp_path: Path
) -> Iterator[Deployment]:
    """Steps 1 to 4 of the README on the stock PBX, as its blocks say; Asterisk restarted."""
    root = stock_pbx.root
    etc = root / "etc/asterisk"
    blocks = readme_blocks()
    assert sorted(blocks) == ["chroot", "database", "postgresql"], sorted(blocks)
    assert not tcp_listeners(stock_pbx.ami_port), "the stock PBX has its AMI off"

    # Steps 1 and 2: the README's commands, run in the Asterisk host (the root).
    shutil.copytree(REPO / "config", root / CHECKOUT_IN_ROOT / "config")
    for block in blocks["chroot"]:
        run(["chroot", str(root), "/bin/bash", "-e", "-c", block])
    add_include(etc / "extensions.conf", INBOUND_CONTEXT, "standardiste-inbound")
    add_include(etc / "extensions.conf", PHONES_CONTEXT, "standardiste-agent-codes")
    secret = re.search(r"(?m)^secret = (\S+)$", (etc / "standardiste-manager.conf").read_text())
    assert secret is not None and secret.group(1) != "CHANGE-ME"
    settings = root / SETTINGS.lstrip("/")
    assert tomllib.loads(settings.read_text())["ami"]["secret"] == secret.group(1)
    check_generated_dir_permissions(root)

    # "Then restart Asterisk."
    sb.down(root)
    info = sb.start(root)
    assert tcp_listeners(info.ami_port) == {"127.0.0.1"}, "AMI on, on loopback only"

    # Step 3: the README's SQL, with the role and the database named for this test.
    host, port = pg_server
    name = f"standardiste_{uuid.uuid4().hex[:8]}"
    psql = ["psql", "-h", host, "-p", str(port), "-U", "postgres", "-d", "postgres"]
    try:
        run(["bash", "-e", "-c", substituted(blocks["postgresql"][0], [
            ("runuser -u postgres -- psql", shlex.join(psql)),
            ("ROLE standardiste LOGIN", f"ROLE {name} LOGIN"),
            ("DATABASE standardiste OWNER standardiste", f"DATABASE {name} OWNER {name}"),
            (SETTINGS, str(settings)),
        ])])  # fmt: skip
        url = tomllib.loads(settings.read_text())["database"]["url"]
        password = re.fullmatch(r"postgresql\+asyncpg://standardiste:([^@]+)@.*", url)
        assert password is not None and password.group(1) != "CHANGE-ME", url

        keys = RedisKeys(f"test:deploy:{uuid.uuid4().hex[:8]}:")
        web_port = free_port()
        database_url = f"postgresql+asyncpg://{name}:{password.group(1)}@{host}:{port}/{name}"
        env = deployment_env(root, database_url, tmp_path, keys, web_port)
        # Step 4: the database and the first admin, as the README runs them.
        outputs = [
            run(cmd, env=env).stdout
            for cmd in commands(substituted(blocks["database"][0], [
                (f"runuser -u standardiste -- {CLI}", f"{sys.executable} -m standardiste.cli"),
                (SETTINGS, str(settings)),
            ]))
        ]  # fmt: skip
        admin_password = re.search(r"password \(shown once\): (\S+)", outputs[-1])
        assert admin_password is not None, outputs
        yield Deployment(
            info, settings, secret.group(1), admin_password.group(1), env, keys, web_port
        )
    finally:
        for sql in (
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'DROP ROLE IF EXISTS "{name}"',
        ):
            subprocess.run([*psql, "-c", sql], capture_output=True, check=False, timeout=30)


def check_generated_dir_permissions(root: Path) -> None:
    """The generated files' directory as the README makes it: the bridge's user (with the
    group its units give it) writes there, Asterisk's user reads it, nobody else does.
    Checked before Asterisk restarts (the sandbox makes its directories root's then)."""
    uid, gid = passwd_ids(root, "standardiste")
    ast_uid, ast_gid = passwd_ids(root, "asterisk")
    gen = "/etc/asterisk/standardiste"
    as_bridge = ["chroot", f"--userspec={uid}:{gid}", f"--groups={ast_gid}", str(root)]
    run([*as_bridge, "sh", "-c", f"touch {gen}/x && rm {gen}/x"])
    run(["chroot", f"--userspec={ast_uid}:{ast_gid}", str(root), "ls", gen])
    nobody = subprocess.run(
        ["chroot", "--userspec=65534:65534", str(root), "ls", gen], capture_output=True
    )
    assert nobody.returncode != 0, "others may not read the generated files' directory"


class Service:
    """One of the systemd units, run as a process: its ExecStart with its Environment."""

    def __init__(self, unit: str, deployed: Deployment, log: Path) -> None:
        text = (UNITS / unit).read_text()
        exec_start = re.search(r"^ExecStart=(.+)$", text, re.M)
        assert exec_start is not None, unit
        argv = shlex.split(exec_start.group(1))
        assert argv[0] == CLI, f"{unit} runs {argv[0]}, the README installs {CLI}"
        self.argv = [sys.executable, "-m", "standardiste.cli", *argv[1:]]
        unit_env = dict(re.findall(r"^Environment=([A-Z_]+)=(.*)$", text, re.M))
        assert unit_env == {"STANDARDISTE_CONFIG": SETTINGS}, unit_env
        self.env = {**deployed.env, "STANDARDISTE_CONFIG": str(deployed.settings)}
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv, env=self.env, stdout=out, stderr=out, stdin=asyncio.subprocess.DEVNULL
            )

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()  # the unit's KillSignal=SIGTERM
            try:
                await asyncio.wait_for(self.proc.wait(), 20)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


# -------------------------------------------------------------------- helpers
async def ok(user: ApiUser, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    got, answer = await user.call(method, path, body)
    assert got == status, (method, path, got, answer)
    return answer


async def queue_status(ami: RawAMI) -> tuple[dict[str, dict[str, str]], dict[Any, dict[str, str]]]:
    params, members = {}, {}
    for m in await ami.action_list("QueueStatus"):
        if m.get("Event") == "QueueParams":
            params[m["Queue"]] = m
        elif m.get("Event") == "QueueMember":
            members[(m["Queue"], m["Location"])] = m
    return params, members


async def route(ami: RawAMI, number: str) -> str:
    reply = await ami.action(
        "Getvar", Variable=f"AST_CONFIG(standardiste/routes.conf,extensions,{number})"
    )
    return str(reply.get("Value", ""))


async def answers(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as s, s.get(url) as r:
            return r.status == 200
    except aiohttp.ClientError:
        return False


def deployment_env(
    root: Path, database_url: str, tmp: Path, keys: RedisKeys, web_port: int
) -> dict[str, str]:
    """What differs from a real host, on top of the settings file the README produced."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STANDARDISTE_")}
    return {
        **env,
        # The PBX's files are in the sandbox root, not in this machine's /etc and /var.
        "STANDARDISTE_AMI_QUEUES_CONF": str(root / "etc/asterisk/queues.conf"),
        "STANDARDISTE_ASTERISK_GENERATED_DIR": str(root / "etc/asterisk/standardiste"),
        "STANDARDISTE_ASTERISK_QUEUE_LOG_PATH": str(root / "var/log/asterisk/queue_log"),
        "STANDARDISTE_ASTERISK_RECORDINGS_DIR": str(root / "var/spool/asterisk/monitor"),
        # The test's PostgreSQL (its own address), the role and database of the README's SQL.
        "STANDARDISTE_DATABASE_URL": database_url,
        "STANDARDISTE_DATABASE_BUFFER_PATH": str(tmp / "history-buffer.jsonl"),
        # Redis is shared by the test session: keys of our own.
        "STANDARDISTE_REDIS_PREFIX": keys.prefix,
        # No proxy here: plain HTTP on a free port.
        "STANDARDISTE_WEB_PORT": str(web_port),
        "STANDARDISTE_WEB_COOKIE_SECURE": "false",
    }


# -------------------------------------------------------------------- the test
async def test_the_readme_deploys_on_a_pbx_that_is_not_the_demo(
    deployed: Deployment, tmp_path: Path
) -> None:
    info, keys = deployed.info, deployed.keys
    ami = await RawAMI.connect(info.ami_host, info.ami_port, secret=deployed.ami_secret)
    redis = aioredis.Redis.from_url(tomllib.loads(deployed.settings.read_text())["redis"]["url"])
    services: list[Service] = []
    users: list[ApiUser] = []
    try:
        # Step 5: the two services, as their units run them.
        for unit in ("standardiste-bridge.service", "standardiste-web.service"):
            services.append(Service(unit, deployed, tmp_path / f"{unit}.log"))
            await services[-1].start()
        base = f"http://127.0.0.1:{deployed.web_port}"
        await eventually(lambda: read_status(redis, keys), lambda s: s.ami_connected, 30,
                         "the bridge is connected to this PBX's AMI")  # fmt: skip
        await eventually(lambda: answers(base + "/readyz"), bool, 30, "/readyz")

        # Step 7: the first steps, as the browser does them (the admin API).
        admin = ApiUser(base, deployed.admin_password)
        users.append(admin)
        await admin.login("admin")
        listed = await ok(admin, "GET", "/api/v1/admin/devices")
        devices = {d["interface"] for d in listed["devices"]}
        assert {"PJSIP/1101", "PJSIP/1105", "PJSIP/1109", "PJSIP/1112"} <= devices, devices
        assert not any("agent" in d for d in devices), "none of the demo's phones"
        skill = {"name": "french", "display_name": "French"}
        await ok(admin, "POST", "/api/v1/admin/skills", skill)
        reason = {"code": "coaching", "label_en": "Coaching", "label_fr": "Accompagnement"}
        await ok(admin, "POST", "/api/v1/admin/pause-reasons", reason, 201)

        queue = {
            "name": QUEUE, "display_name": "Advice line", "extension": QUEUE_NUMBER,
            "skill": "french", "skill_min_level": 3, "timeout": 10, "maxwait": 60,
        }  # fmt: skip
        started = time.monotonic()
        await ok(admin, "POST", "/api/v1/admin/queues", queue, 201)
        answered_in = time.monotonic() - started
        await eventually(lambda: queue_status(ami), lambda s: QUEUE in s[0], 10,
                         "the queue in Asterisk's QueueStatus")  # fmt: skip
        assert await route(ami, QUEUE_NUMBER) == QUEUE
        live_in = time.monotonic() - started
        started = time.monotonic()
        await ok(admin, "PATCH", f"/api/v1/admin/queues/{QUEUE}", {"weight": 3})
        await eventually(lambda: queue_status(ami), lambda s: s[0][QUEUE].get("Weight") == "3",
                         10, "the queue's new weight in Asterisk")  # fmt: skip
        changed_in = time.monotonic() - started
        print(
            f"queue created: the API answered in {answered_in * 1000:.0f} ms, the test's own "
            f"AMI client saw it (QueueStatus, Getvar route) after {live_in * 1000:.0f} ms; "
            f"a change (weight) was live after {changed_in * 1000:.0f} ms"
        )

        user = {
            "username": "garnet", "display_name": "Garnet Claude", "role": "agent",
            "devices": [DEVICE], "queues": [{"name": QUEUE, "role": "agent"}],
            "skills": {"french": 4},
        }  # fmt: skip
        created = await ok(admin, "POST", "/api/v1/admin/users", user, 201)
        garnet = ApiUser(base, created["generated_password"])
        users.append(garnet)
        await garnet.login("garnet")
        logged_in = await ok(garnet, "POST", "/api/v1/agents/garnet/login", {})
        assert logged_in["queues"] == [QUEUE], logged_in
        # Level 4 in the queue's skill: penalty 1, within the callers' maximum (5 - 3). The
        # bridge sets it after the log-in (its penalty pass, every 2 s).
        await eventually(
            lambda: queue_status(ami),
            lambda s: s[1].get((QUEUE, DEVICE), {}).get("Penalty") == "1",
            10,
            "garnet in the queue with the penalty of his skill level",
        )

        # A call from this PBX's trunk to the queue's number rings garnet's phone.
        sipp_logs = tmp_path / "sipp"
        async with AgentPhone(
            PHONE_NUMBER, PHONE_PORT, answer_delay_s=0.5, log_dir=sipp_logs
        ) as phone:
            async with await place_call(
                to=QUEUE_NUMBER, caller_number="2565550142", hangup_after_s=3.0,
                local_ip=TRUNK_ADDRESS, asterisk_port=info.sip_port, log_dir=sipp_logs,
            ) as call:  # fmt: skip
                await phone.wait_outcome("ANSWERED", timeout=20)
                result = await call.wait_result(timeout=40)
        assert result.answered, result
        overview = await eventually(
            lambda: ok(admin, "GET", "/api/v1/overview"),
            lambda o: o["figures"].get(QUEUE, {}).get("handled") == 1,
            15,
            "the call counted",
        )
        history = await eventually(
            lambda: ok(admin, "GET", f"/api/v1/calls?queue={QUEUE}&date={overview['day']}"),
            lambda h: any(c["outcome"] == "answered" and c["talk"] for c in h["calls"]),
            15,
            "the call in the history (PostgreSQL)",
        )
        calls = [(c["caller_number"], c["agent"]) for c in history["calls"]]
        assert calls == [("2565550142", DEVICE)], history

        # The PBX's own numbers still reach its own queue; a number of no queue is refused.
        async with await place_call(
            to=OWN_QUEUE_NUMBER, caller_number="2565550143", hangup_after_s=3.0,
            local_ip=TRUNK_ADDRESS, asterisk_port=info.sip_port, log_dir=sipp_logs,
        ) as call:  # fmt: skip
            await eventually(
                lambda: ami.action_list("QueueStatus", Queue=OWN_QUEUE),
                lambda msgs: any(m.get("Event") == "QueueEntry" for m in msgs),
                10,
                f"the caller waiting in the PBX's own queue {OWN_QUEUE}",
            )
            await call.wait_result(timeout=20)
        async with await place_call(
            to="2565559999", caller_number="2565550144", hangup_after_s=3.0,
            local_ip=TRUNK_ADDRESS, asterisk_port=info.sip_port, log_dir=sipp_logs,
        ) as call:  # fmt: skip
            refused = await call.wait_result(timeout=20)
        assert refused.ended_by == "rejected" and not refused.answered, refused

        # A pause with the new reason is Asterisk's pause reason.
        await ok(garnet, "POST", "/api/v1/agents/garnet/pause", {"reason": "coaching"})
        _, members = await eventually(
            lambda: queue_status(ami),
            lambda s: s[1][(QUEUE, DEVICE)].get("Paused") == "1",
            10,
            "garnet paused in Asterisk",
        )
        assert members[(QUEUE, DEVICE)].get("PausedReason") == "coaching"
        await ok(garnet, "POST", "/api/v1/agents/garnet/logout", {})
    finally:
        for api_user in users:
            await api_user.http.close()
        for service in reversed(services):
            await service.stop()
        await ami.close()
        await redis.delete(*keys.all())
        await redis.aclose()
    for service in services:  # stopped cleanly: the exit status systemd would see
        assert service.proc is not None and service.proc.returncode == 0, (
            service.argv,
            service.log.read_text()[-3000:],
        )
