"""One definition of the names the PBX accepts (acd.names), used by the web, the accounts
and the AMI commands alike: what one layer accepts, the others do too."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from standardiste.accounts import _queues
from standardiste.acd.names import display_name, is_queue
from standardiste.ami_bridge.commands import AmiCommands
from standardiste.errors import InvalidInput
from standardiste.web.schemas import AgentAction, validate


class Recorder:
    """Stands in for the AMI connection: records what would be sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, str]]] = []

    async def send(
        self, name: str, headers: Mapping[str, str], *, timeout: float = 10.0,
        idempotent: bool = True,
    ) -> object:  # fmt: skip
        self.sent.append((name, dict(headers)))
        return None


async def test_a_queue_the_web_accepts_reaches_asterisk() -> None:
    # Before: the web and the accounts accepted "sales.fr", the AMI commands refused it.
    assert validate(AgentAction, {"queues": ["sales.fr"]}).queues == ["sales.fr"]
    assert [link.queue for link in _queues({"sales.fr": "agent"}, "agent")] == ["sales.fr"]
    conn = Recorder()
    await AmiCommands(conn).queue_add("sales.fr", "PJSIP/agent1001")
    await AmiCommands(conn).queue_pause("sales.fr", "PJSIP/agent1001", True, "lunch")
    assert [h["Queue"] for _, h in conn.sent] == ["sales.fr", "sales.fr"]


@pytest.mark.parametrize(
    "queue", ["sales,1", "sales)", "sa les", "${SHELL(id)}", "a|b", "x" * 65, "", "sales\n"]
)
async def test_a_dangerous_queue_name_is_refused_by_every_layer(queue: str) -> None:
    assert not is_queue(queue)
    with pytest.raises(InvalidInput):
        validate(AgentAction, {"queues": [queue]})
    with pytest.raises(InvalidInput):
        _queues({queue: "agent"}, "agent")
    conn = Recorder()
    with pytest.raises(ValueError, match="not allowed"):
        await AmiCommands(conn).queue_add(queue, "PJSIP/agent1001")
    assert conn.sent == []


async def test_a_member_named_with_parentheses_can_log_in() -> None:
    # Before: "Anne-Marie (nuit)" was refused by QueueAdd's allow-list, so she never could.
    conn = Recorder()
    await AmiCommands(conn).queue_add("sales", "PJSIP/agent1001", member_name="Anne-Marie (nuit)")
    assert conn.sent == [
        ("QueueAdd", {"Queue": "sales", "Interface": "PJSIP/agent1001", "Paused": "false",
                      "MemberName": "Anne-Marie (nuit)"}),
    ]  # fmt: skip


async def test_a_member_name_is_sanitised_never_injected() -> None:
    conn = Recorder()
    ami = AmiCommands(conn)
    await ami.queue_add("sales", "PJSIP/a1", member_name="Evil\r\nAction: Originate\r\n")
    await ami.queue_add("sales", "PJSIP/a2", member_name="O'Brien | night\x00shift")
    await ami.queue_add("sales", "PJSIP/a3", member_name="\r\n")  # nothing left: no header
    names = [h.get("MemberName") for _, h in conn.sent]
    assert names == ["Evil Action: Originate", "O'Brien / night shift", None]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("O'Brien", "O'Brien"),
        ("Anne-Marie (nuit)", "Anne-Marie (nuit)"),
        ("  Zoë\tDurand  ", "Zoë Durand"),
        ("a\u2028b\x1b[31mc", "a b [31mc"),
        ("é" * 100, "é" * 64),
    ],
)
def test_display_names_are_cleaned_not_refused(raw: str, shown: str) -> None:
    assert display_name(raw) == shown
