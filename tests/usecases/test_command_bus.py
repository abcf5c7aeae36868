"""The command bus over the real Redis: results and errors come back, each command runs at
most once, a late command is not run, every command is audited."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
import redis.asyncio as aioredis
from conftest import Harness

from standardiste.agent_state import AgentRequest
from standardiste.command_bus import CommandClient, CommandServer
from standardiste.errors import CommandTimeout, Forbidden, UnknownQueue
from standardiste.permissions import Scope
from standardiste.redis_keys import RedisKeys
from standardiste.web.deps import RemoteAgentActions


@contextlib.asynccontextmanager
async def serving(server: CommandServer) -> AsyncIterator[None]:
    task = asyncio.create_task(server.run())
    try:
        await asyncio.sleep(0.05)  # the group exists before the first command
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_result_and_a_domain_error_come_back(
    redis_client: aioredis.Redis, keys: RedisKeys
) -> None:
    async def echo(args: Mapping[str, Any]) -> Any:
        return {"you_said": args["text"]}

    async def refuse(args: Mapping[str, Any]) -> Any:
        raise UnknownQueue("unknown queue(s): nope")

    server = CommandServer(redis_client, keys, {"echo": echo, "refuse": refuse}, block_ms=100)
    client = CommandClient(redis_client, keys, timeout=5)
    async with serving(server):
        assert await client.call("echo", {"text": "hi"}, actor="sue") == {"you_said": "hi"}
        with pytest.raises(UnknownQueue, match="nope") as caught:
            await client.call("refuse", {}, actor="sue")
        assert caught.value.code == "unknown_queue"
        with pytest.raises(Exception, match="unknown command 'nothing'"):
            await client.call("nothing", {}, actor="sue")


async def test_two_bridges_never_run_the_same_command(
    redis_client: aioredis.Redis, keys: RedisKeys
) -> None:
    runs: list[str] = []

    async def count(args: Mapping[str, Any]) -> Any:
        runs.append(args["n"])
        await asyncio.sleep(0.01)
        return args["n"]

    one = CommandServer(redis_client, keys, {"count": count}, consumer="one", block_ms=100)
    two = CommandServer(redis_client, keys, {"count": count}, consumer="two", block_ms=100)
    client = CommandClient(redis_client, keys, timeout=5)
    async with serving(one), serving(two):
        results = await asyncio.gather(
            *(client.call("count", {"n": str(i)}, actor="sue") for i in range(40))
        )
    assert sorted(results) == sorted(str(i) for i in range(40))
    assert sorted(runs) == sorted(str(i) for i in range(40))  # each exactly once
    assert one.taken > 0 and two.taken > 0


async def test_a_command_the_bridge_takes_too_late_is_not_run(
    redis_client: aioredis.Redis, keys: RedisKeys
) -> None:
    runs: list[Any] = []

    async def act(args: Mapping[str, Any]) -> Any:
        runs.append(args)
        return "done"

    server = CommandServer(redis_client, keys, {"act": act}, block_ms=100)
    async with serving(server):  # creates the group, then the bridge goes away
        pass
    client = CommandClient(redis_client, keys, timeout=1)
    with pytest.raises(CommandTimeout, match="did not answer act"):
        await client.call("act", {}, actor="sue")
    async with serving(server):  # the bridge is back: it finds the command, too late
        await asyncio.sleep(0.3)
    assert runs == []
    assert server.expired == 1
    [(_, audit)] = await redis_client.xrange(keys.audit)
    assert audit[b"outcome"] == b"command_expired" and audit[b"actor"] == b"sue"


async def test_the_web_s_agent_request_runs_in_the_bridge(
    redis_client: aioredis.Redis, keys: RedisKeys, harness: Harness
) -> None:
    async def agent(args: Mapping[str, Any]) -> Any:
        return await harness.agents.act(AgentRequest.from_wire(args))

    server = CommandServer(redis_client, keys, {"agent": agent}, block_ms=100)
    remote = RemoteAgentActions(CommandClient(redis_client, keys, timeout=5))
    sue = Scope("sue", False, frozenset({"sales"}), frozenset(), ())
    alice = Scope("alice", False, frozenset(), frozenset({"sales"}), ("PJSIP/agent1001",))
    bob = Scope("bob", False, frozenset(), frozenset({"sales"}), ("PJSIP/agent1002",))
    async with serving(server):
        done = await remote.act(AgentRequest("pause", sue, alice, "PJSIP/agent1001", None, "lunch"))
        assert done == ["sales"]
        with pytest.raises(Forbidden):
            await remote.act(AgentRequest("pause", bob, alice, "PJSIP/agent1001", None, "lunch"))
    member = harness.model.members["sales|PJSIP/agent1001"]
    assert (member.paused, member.paused_by, member.forced) == (True, "sue", True)
    audit = [fields for _, fields in await redis_client.xrange(keys.audit)]
    assert [(a[b"actor"], a[b"outcome"]) for a in audit] == [
        (b"sue", b"ok"), (b"bob", b"forbidden"),
    ]  # fmt: skip
    assert json.loads(audit[0][b"args"])["reason"] == "lunch"


async def test_a_garbled_command_is_answered_and_audited_not_run(
    redis_client: aioredis.Redis, keys: RedisKeys
) -> None:
    runs: list[Any] = []

    async def act(args: Mapping[str, Any]) -> Any:
        runs.append(args)
        return "done"

    server = CommandServer(redis_client, keys, {"act": act}, block_ms=100)
    async with serving(server):
        for fields in (
            {"id": "g1", "kind": "act", "actor": "x", "args": "{not json", "deadline": "9e99"},
            {"id": "g2", "kind": "act", "actor": "x", "args": "[1, 2]", "deadline": "9e99"},
            {"id": "g3", "kind": "act", "actor": "x", "args": "{}", "deadline": "soon"},
            {"id": "g4", "kind": "rm -rf", "actor": "x", "args": "{}", "deadline": "9e99"},
        ):
            await redis_client.xadd(keys.commands, fields)  # type: ignore[arg-type]
        for command_id in ("g1", "g2", "g3", "g4"):
            reply = await redis_client.blpop([keys.command_reply(command_id)], 5)
            assert reply is not None, command_id
            body = json.loads(reply[1])
            assert (body["ok"], body["code"]) == (False, "invalid_input"), body
    assert runs == []
    outcomes = [f[b"outcome"] for _, f in await redis_client.xrange(keys.audit)]
    assert outcomes == [b"invalid_input"] * 4
    # The server is still serving.
    async with serving(server):
        client = CommandClient(redis_client, keys, timeout=5)
        assert await client.call("act", {}, actor="x") == "done"
