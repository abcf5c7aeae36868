"""docker-compose.yml, really run: the product's images built and the whole stack brought up.

No image registry is reachable here, so the base images are made locally
(``compose_images``: a debootstrapped Debian for python/redis/postgres, the Asterisk sandbox's
root for asterisk) and passed through the compose file's image variables; the app and
Asterisk images are built from the project's Dockerfiles. Every port is a free one (the
machine's own Redis, PostgreSQL and the sandbox keep theirs) and the AMI secret and the
PostgreSQL password are the test's own. The stack is always taken down with its volumes.
The services use the host network of dockerd, so the test runs in dockerd's network
namespace (make test does; under ``ns-run`` it is skipped).

What an operator would do and see: the web answers /readyz (AMI, Redis, PostgreSQL), an
admin created with ``docker-compose exec bridge standardiste user add`` (in PostgreSQL) logs
in over HTTP, and a call placed through the containerised Asterisk (sipp as the trunk and
as the agent's phone) shows in the admin's live overview (Asterisk -> bridge -> Redis -> web).
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from compose_images import asterisk_base, debian_base
from conftest import cache_dir
from live import ApiUser, eventually

from standardiste.tools.sipp import AgentPhone, place_call

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
ADMIN_PASSWORD = "compose test admin password"
# The demo PBX's agent 1001: PJSIP/agent1001, a static contact on 127.0.0.1:5071
# (config/asterisk/pjsip.conf), reached from the trunk by its direct number.
AGENT_NUMBER, AGENT_PORT, AGENT_DEVICE = "1001", 5071, "PJSIP/agent1001"

pytestmark = pytest.mark.timeout(1500)  # a cold cache: debootstrap and the images' builds


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if (
        shutil.which("docker")
        and not subprocess.run(
            ["docker", "compose", "version"], capture_output=True, check=False
        ).returncode
    ):
        return ["docker", "compose"]
    pytest.fail("docker-compose is not installed: run scripts/setup.sh (make test does)")


@dataclass
class Stack:
    """One compose project of the test, with its ports and secrets."""

    project: str
    env: dict[str, str]
    compose: list[str]

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.env['WEB_PORT']}"

    @property
    def database_url(self) -> str:
        return (
            f"postgresql+asyncpg://standardiste:{self.env['POSTGRES_PASSWORD']}"
            f"@127.0.0.1:{self.env['POSTGRES_PORT']}/standardiste"
        )

    def run(
        self, *args: str, timeout: float, input: bytes | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        cmd = [*self.compose, "-f", str(COMPOSE_FILE), "-p", self.project, *args]
        proc = subprocess.run(
            cmd, env=self.env, input=input, capture_output=True, timeout=timeout, check=False
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(cmd)} exited {proc.returncode}:\n"
                f"{(proc.stdout + proc.stderr).decode(errors='replace')[-6000:]}"
                f"\n--- logs ---\n{self.logs()}"
            )
        return proc

    def logs(self) -> str:
        proc = subprocess.run(
            [*self.compose, "-f", str(COMPOSE_FILE), "-p", self.project, "logs", "--no-color",
             "--tail=40"],
            env=self.env, capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        return (proc.stdout + proc.stderr).decode(errors="replace")[-12000:]


PROJECT_RE = re.compile(r"stdtest(\d+)x[0-9a-f]+")


def _sweep_leftovers(compose: list[str]) -> None:
    """Take down the stacks of earlier runs killed before their teardown (their pytest is
    gone): their containers restart with dockerd and would keep their ports."""
    projects = set()
    label = '{{.Label "com.docker.compose.project"}}'
    for listing in (["container", "ls", "-a"], ["volume", "ls"]):
        listed = subprocess.run(
            ["docker", *listing, "--format", label],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        projects.update(listed.stdout.split())
    for project in projects:
        match = PROJECT_RE.fullmatch(project)
        if match is None or Path(f"/proc/{match[1]}").exists():
            continue
        subprocess.run(
            [*compose, "-f", str(COMPOSE_FILE), "-p", project, "down", "-v", "-t", "1"],
            capture_output=True, timeout=180, check=False,
        )  # fmt: skip


def _other_network_namespace() -> bool:
    """Does dockerd live in another network namespace than this test (``ns-run``)? Its
    host-network services would then be out of the test's reach."""
    try:
        pid = int(Path("/var/run/docker.pid").read_text())
        return os.stat(f"/proc/{pid}/ns/net").st_ino != os.stat("/proc/self/ns/net").st_ino
    except (OSError, ValueError):
        return False


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    if os.geteuid() != 0:
        pytest.fail("the compose test needs root (docker, debootstrap): run the tests as root")
    compose = _compose_command()
    info = subprocess.run(["docker", "info"], capture_output=True, timeout=60, check=False)
    if info.returncode != 0:
        pytest.fail(f"no Docker engine answers: run scripts/setup.sh\n{info.stderr.decode()}")
    if _other_network_namespace():
        pytest.skip("dockerd runs in another network namespace: run this test in its (make test)")
    _sweep_leftovers(compose)
    cache = cache_dir()
    base = debian_base(cache)
    tcp = [_free_port(socket.SOCK_STREAM) for _ in range(4)]
    sip = _free_port(socket.SOCK_DGRAM)
    while sip in tcp:
        sip = _free_port(socket.SOCK_DGRAM)
    env = {
        **os.environ,
        "PYTHON_IMAGE": base,
        "REDIS_IMAGE": base,
        "POSTGRES_IMAGE": base,
        "ASTERISK_BASE_IMAGE": asterisk_base(cache),
        # The test's own names: a developer's standardiste/* images are left alone. One
        # name each, so a rebuild of unchanged sources is the builder's cache.
        "APP_IMAGE": "standardiste-test/app:latest",
        "ASTERISK_IMAGE": "standardiste-test/asterisk:latest",
        "AMI_PORT": str(tcp[0]),
        "REDIS_PORT": str(tcp[1]),
        "POSTGRES_PORT": str(tcp[2]),
        "WEB_PORT": str(tcp[3]),
        "SIP_PORT": str(sip),
        "AMI_SECRET": "ami-" + secrets.token_urlsafe(12),
        "POSTGRES_PASSWORD": "pg-" + secrets.token_hex(12),
    }
    stack = Stack(f"stdtest{os.getpid()}x{secrets.token_hex(3)}", env, compose)
    try:
        stack.run("build", "--force-rm", timeout=1200)
        stack.run("up", "-d", timeout=300)
        yield stack
    finally:
        stack.run("down", "-v", "--remove-orphans", "-t", "5", timeout=180, check=False)


async def _ready(stack: Stack, http: aiohttp.ClientSession) -> None:
    deadline = time.monotonic() + 90
    last: Any = None
    while time.monotonic() < deadline:
        try:
            async with http.get(stack.web + "/readyz") as r:
                last = (r.status, await r.json())
                if r.status == 200:
                    return
        except (aiohttp.ClientError, ValueError) as exc:
            last = exc
        await asyncio.sleep(0.5)
    raise AssertionError(f"/readyz never 200: {last!r}\n--- logs ---\n{stack.logs()}")


async def _device_state(admin: ApiUser) -> str:
    status, body = await admin.call("GET", "/api/v1/overview")
    assert status == 200, body
    return str(body["state"]["device"].get(AGENT_DEVICE, {}).get("state", ""))


async def _call_through_the_stack(stack: Stack, admin: ApiUser, log_dir: Path) -> None:
    """What an admin does on a fresh stack: a queue with an extension, a user on one of the
    PBX's phones assigned to it, logged in; a trunk call to the extension is answered by that
    (sipp) phone, and the queue counts it handled."""
    status, body = await admin.call(
        "POST", "/api/v1/admin/queues", {"name": "hotline", "extension": "5100"}
    )
    assert status == 201, body
    user = {
        "username": "anna",
        "role": "agent",
        "devices": [f"PJSIP/agent{AGENT_NUMBER}"],
        "queues": [{"name": "hotline", "role": "agent"}],
    }
    status, body = await admin.call("POST", "/api/v1/admin/users", user)
    assert status == 201, body
    status, body = await admin.call("POST", "/api/v1/agents/anna/login", {"queues": ["hotline"]})
    assert status == 200 and body["queues"] == ["hotline"], body
    sip_port = int(stack.env["SIP_PORT"])
    async with AgentPhone(AGENT_NUMBER, AGENT_PORT, answer_delay_s=0.5, log_dir=log_dir) as phone:
        caller = await place_call(
            "5100", "0611223344", hangup_after_s=4, asterisk_port=sip_port, log_dir=log_dir
        )
        async with caller:
            await eventually(
                lambda: _device_state(admin), lambda s: s == "INUSE", 15, "phone in use"
            )
            result = await caller.wait_result(30)
        assert result.answered and result.ended_by == "local", result
        assert phone.count("ANSWERED") == 1
    await eventually(lambda: _device_state(admin), lambda s: s == "NOT_INUSE", 15, "phone free")
    await eventually(lambda: _handled(admin), lambda n: n == 1, 15, "the call counted handled")


async def _handled(admin: ApiUser) -> int:
    status, body = await admin.call("GET", "/api/v1/overview")
    assert status == 200, body
    queue = body["state"]["queue"].get("hotline", {})
    return int(queue.get("today", {}).get("handled", 0))


async def test_compose_stack_takes_a_call(stack: Stack, tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as http:
        await _ready(stack, http)
    stack.run(
        "exec", "-T", "bridge", "standardiste", "user", "add", "admin", "--role", "admin",
        timeout=60, input=(ADMIN_PASSWORD + "\n").encode(),
    )  # fmt: skip
    admin = ApiUser(stack.web, ADMIN_PASSWORD)
    try:
        await admin.login("admin")
        status, me = await admin.call("GET", "/api/v1/me")
        assert status == 200 and me["user"]["role"] == "admin", me
        await _call_through_the_stack(stack, admin, tmp_path)
    except Exception as exc:
        raise AssertionError(f"{exc}\n--- logs ---\n{stack.logs()}") from exc
    finally:
        await admin.http.close()
