"""Typed AMI commands: the headers Asterisk gets, and what never reaches it."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from standardiste.ami_bridge.commands import AmiCommands


class Recorder:
    """Stands in for the connection in this unit test: records what would be sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, str], bool]] = []

    async def send(
        self,
        name: str,
        headers: Mapping[str, str],
        *,
        timeout: float = 10.0,
        idempotent: bool = True,
    ) -> object:
        self.sent.append((name, dict(headers), idempotent))
        return None


async def test_queue_commands_send_the_headers_asterisk_expects() -> None:
    conn = Recorder()
    ami = AmiCommands(conn)
    await ami.queue_add("sales", "PJSIP/agent1001", member_name="Agent 1001")
    await ami.queue_pause("sales", "PJSIP/agent1001", True, "lunch")
    await ami.queue_pause("sales", "PJSIP/agent1001", False)
    await ami.queue_remove("sales", "PJSIP/agent1001")
    assert conn.sent == [
        ("QueueAdd", {"Queue": "sales", "Interface": "PJSIP/agent1001", "Paused": "false",
                      "MemberName": "Agent 1001"}, True),
        ("QueuePause", {"Queue": "sales", "Interface": "PJSIP/agent1001", "Paused": "true",
                        "Reason": "lunch"}, True),
        ("QueuePause", {"Queue": "sales", "Interface": "PJSIP/agent1001", "Paused": "false"},
         True),
        ("QueueRemove", {"Queue": "sales", "Interface": "PJSIP/agent1001"}, True),
    ]  # fmt: skip


async def test_originate_is_async_and_never_marked_idempotent() -> None:
    conn = Recorder()
    await AmiCommands(conn).originate(
        "Local/0611111111@standardiste-campaign-contact", "standardiste-campaign-connect", "s",
        variables={"STD_QUEUE": "sales"},
    )  # fmt: skip
    [(name, headers, idempotent)] = conn.sent
    assert (name, idempotent) == ("Originate", False)
    assert headers["Async"] == "true" and headers["Variable"] == "STD_QUEUE=sales"


@pytest.mark.parametrize(
    "call",
    [
        lambda a: a.queue_add("sales,1", "PJSIP/agent1001"),
        lambda a: a.queue_add("sales", "PJSIP/agent1001)\r\nAction: Command"),
        lambda a: a.queue_pause("sales", "PJSIP/agent1001", True, "x\r\nAction: Command"),
        lambda a: a.originate("PJSIP/a", "agents", "${SHELL(id)}"),
        lambda a: a.originate("PJSIP/a", "agents", "100", variables={"FILE(/etc/x)": "1"}),
        lambda a: a.originate("PJSIP/a", "agents", "100", variables={"STD_QUEUE": "a,b"}),
        lambda a: a.originate("System/echo", "agents", "100"),
    ],
)
async def test_text_outside_the_allow_lists_never_reaches_asterisk(call: object) -> None:
    conn = Recorder()
    with pytest.raises(ValueError, match="not"):
        await call(AmiCommands(conn))  # type: ignore[operator]
    assert conn.sent == []
