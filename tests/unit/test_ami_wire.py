"""ami_bridge.wire: framing, parsing and action formatting."""

from __future__ import annotations

import random

import pytest

from standardiste.ami_bridge.baseline import own_parse, panoramisk_parse, synthetic_queue_stream
from standardiste.ami_bridge.wire import AmiMessage, Framer, format_action

EVENT_1 = (
    b"Event: QueueCallerJoin\r\nPrivilege: agent,all\r\nChannel: PJSIP/trunk-00000001\r\n"
    b"Queue: support\r\nPosition: 1\r\nCount: 1\r\nUniqueid: 1700000000.1\r\n\r\n"
)
EVENT_2 = (
    b"Event: VarSet\r\nChannel: PJSIP/trunk-00000001\r\nVariable: QUEUEPOSITION\r\nValue: 1\r\n\r\n"
)
RESPONSE = b"Response: Success\r\nActionID: a-1\r\nMessage: Authentication accepted\r\n\r\n"
STREAM = b"Asterisk Call Manager/9.0.0\r\n" + RESPONSE + EVENT_1 + EVENT_2 + EVENT_1


class Garbage:
    def __init__(self) -> None:
        self.seen: list[tuple[str, bytes]] = []

    def __call__(self, reason: str, sample: bytes) -> None:
        self.seen.append((reason, sample))

    @property
    def reasons(self) -> list[str]:
        return [r for r, _ in self.seen]


def feed_in_pieces(framer: Framer, data: bytes, cuts: list[int]) -> list[AmiMessage]:
    out: list[AmiMessage] = []
    last = 0
    for cut in sorted(cuts) + [len(data)]:
        out += framer.feed(data[last:cut])
        last = cut
    return out


def summary(messages: list[AmiMessage]) -> list[tuple[str, str, str]]:
    return [(m.event, m.response, m.get("Uniqueid", m.get("Value", ""))) for m in messages]


# -- framing ------------------------------------------------------------------------------
def test_whole_stream_in_one_feed() -> None:
    framer = Framer()
    msgs = framer.feed(STREAM)
    assert framer.version == "9.0.0"
    assert summary(msgs) == [
        ("", "Success", ""),
        ("QueueCallerJoin", "", "1700000000.1"),
        ("VarSet", "", "1"),
        ("QueueCallerJoin", "", "1700000000.1"),
    ]
    assert framer.buffered == 0


@pytest.mark.parametrize("seed", range(40))
def test_arbitrary_chunk_boundaries_give_the_same_messages(seed: int) -> None:
    rng = random.Random(seed)
    reference = summary(Framer().feed(STREAM))
    for _ in range(25):
        cuts = [rng.randrange(len(STREAM) + 1) for _ in range(rng.randrange(1, 12))]
        framer = Framer()
        assert summary(feed_in_pieces(framer, STREAM, cuts)) == reference, cuts
        assert framer.version == "9.0.0"


def test_every_single_split_point_and_byte_by_byte() -> None:
    reference = summary(Framer().feed(STREAM))
    for cut in range(len(STREAM) + 1):
        assert summary(feed_in_pieces(Framer(), STREAM, [cut])) == reference, cut
    framer = Framer()
    msgs = [m for i in range(len(STREAM)) for m in framer.feed(STREAM[i : i + 1])]
    assert summary(msgs) == reference


@pytest.mark.parametrize("ending", [b"\r\n\r\n", b"\n\n", b"\r\n\n", b"\n\r\n"])
def test_message_endings_seen_in_the_wild(ending: bytes) -> None:
    eol = b"\n" if ending.startswith(b"\n") else b"\r\n"
    raw = eol.join([b"Event: Hangup", b"Uniqueid: 1.1", b"Cause: 16"]) + ending
    raw2 = raw.replace(b"1.1", b"1.2")
    framer = Framer()
    msgs = feed_in_pieces(framer, raw + raw2, [len(raw) - 1])  # cut inside the ending
    assert [(m.event, m["Uniqueid"], m["Cause"]) for m in msgs] == [
        ("Hangup", "1.1", "16"),
        ("Hangup", "1.2", "16"),
    ]


def test_extra_blank_lines_between_messages_are_harmless() -> None:
    garbage = Garbage()
    framer = Framer(on_garbage=garbage)
    msgs = framer.feed(b"\r\n\r\n" + EVENT_1 + b"\r\n\r\n\r\n" + EVENT_2 + b"\n")
    assert [m.event for m in msgs] == ["QueueCallerJoin", "VarSet"]
    assert garbage.seen == []


def test_incomplete_message_waits_for_its_blank_line() -> None:
    framer = Framer()
    assert framer.feed(EVENT_1[:-2]) == []
    assert framer.buffered > 0
    assert [m.event for m in framer.feed(b"\r\n")] == ["QueueCallerJoin"]


def test_banner_detected_only_at_start_and_absent_banner_is_fine() -> None:
    framer = Framer()
    assert framer.feed(b"Asterisk Call") == []
    assert framer.feed(b" Manager/2.10.6\r\n") == []
    assert framer.version == "2.10.6"
    assert [m.event for m in framer.feed(EVENT_1)] == ["QueueCallerJoin"]

    no_banner = Framer()
    assert [m.event for m in no_banner.feed(EVENT_1)] == ["QueueCallerJoin"]
    assert no_banner.version is None


# -- headers ------------------------------------------------------------------------------
def test_case_insensitive_lookup_and_properties() -> None:
    (msg,) = Framer().feed(EVENT_1)
    assert msg["Queue"] == msg["queue"] == msg["QUEUE"] == "support"
    assert msg.get("queue", "") == "support"
    assert msg.get("Missing") is None
    assert msg.get("Missing", "") == ""
    assert "position" in msg and "Nope" not in msg
    assert msg.event == "QueueCallerJoin"
    assert msg.response == "" and msg.action_id == ""
    assert list(msg)[:2] == ["Event", "Privilege"]
    assert len(msg) == 7
    assert msg.size == len(EVENT_1.replace(b"\r\n", b"\n")) - 2
    with pytest.raises(KeyError):
        msg["Missing"]


def test_duplicate_keys_are_all_kept_first_wins() -> None:
    raw = (
        b"Event: OriginateResponse\r\nActionID: o-7\r\nVariable: A=1\r\nvariable: B=2\r\n"
        b"Variable: C=3\r\nResponse: Success\r\n\r\n"
    )
    (msg,) = Framer().feed(raw)
    assert msg.getall("Variable") == ["A=1", "B=2", "C=3"]
    assert msg.get("VARIABLE") == "A=1"
    assert msg["Variable"] == "A=1"
    assert msg.getall("ActionID") == ["o-7"]
    assert msg.getall("Missing") == []
    assert msg.action_id == "o-7"
    assert msg.headers()[2:4] == [("Variable", "A=1"), ("variable", "B=2")]
    assert list(msg) == ["Event", "ActionID", "Variable", "Response"]


def test_values_with_colons_empty_values_and_bare_key() -> None:
    raw = b"Event: UserEvent\r\nData: a: b: c\r\nEmpty: \r\nBare:\r\nnot a header\r\n\r\n"
    (msg,) = Framer().feed(raw)
    assert msg["Data"] == "a: b: c"
    assert msg["Empty"] == ""
    assert msg["Bare"] == ""
    assert "not a header" not in msg
    assert msg.body == ()


def test_constructed_message_behaves_like_a_parsed_one() -> None:
    msg = AmiMessage([("Event", "Hangup"), ("Variable", "a"), ("Variable", "b")])
    assert msg.event == "Hangup" and msg.getall("variable") == ["a", "b"]
    assert AmiMessage({"Event": "X"}) == Framer().feed(b"Event: X\n\n")[0]
    with pytest.raises(TypeError):
        AmiMessage({"Event": 1})  # type: ignore[arg-type]


def test_legacy_follows_body_is_kept() -> None:
    raw = (
        b"Response: Follows\r\nPrivilege: Command\r\nActionID: c-1\r\n"
        b"Channel   Location   State\r\nName: body, not a header\r\n--END COMMAND--\r\n\r\n"
    )
    (msg,) = Framer().feed(raw)
    assert msg.response == "Follows" and msg.action_id == "c-1"
    assert msg.body == ("Channel   Location   State", "Name: body, not a header")
    assert "Name" not in msg


def test_follows_whose_output_looks_like_headers() -> None:
    # The fast path parses every line as a header; Follows must still go to the body path.
    (msg,) = Framer().feed(b"Response: Follows\r\nActionID: c-2\r\nUptime: 3\r\n\r\n")
    assert msg.action_id == "c-2"


# -- defensive limits ---------------------------------------------------------------------
def test_oversize_message_skipped_next_one_parsed_whole() -> None:
    garbage = Garbage()
    framer = Framer(max_message_bytes=1024, max_line_bytes=512, on_garbage=garbage)
    big = b"Event: Huge\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"y" * 100) for i in range(40))
    msgs = framer.feed(big + b"\r\n" + EVENT_1)
    assert [m.event for m in msgs] == ["QueueCallerJoin"]
    assert garbage.reasons == ["message_too_long"]


def test_oversize_message_arriving_in_pieces_resyncs_at_next_blank_line() -> None:
    garbage = Garbage()
    framer = Framer(max_message_bytes=1024, max_line_bytes=512, on_garbage=garbage)
    out: list[AmiMessage] = []
    out += framer.feed(EVENT_2)
    out += framer.feed(b"Event: Huge\r\n")
    for i in range(100):  # ~10 kB without a blank line
        out += framer.feed(b"X-%d: %s\r\n" % (i, b"y" * 100))
        assert framer.buffered <= 1024
    out += framer.feed(b"X-last: y\r")  # the boundary is split: CR here, LF CR LF next
    out += framer.feed(b"\n\r\n" + EVENT_1)
    assert [m.event for m in out] == ["VarSet", "QueueCallerJoin"]
    assert garbage.reasons == ["message_too_long"]


def test_endless_junk_without_newlines_is_bounded() -> None:
    garbage = Garbage()
    framer = Framer(max_message_bytes=4096, on_garbage=garbage)
    for _ in range(100):
        assert framer.feed(b"z" * 1000) == []
        assert framer.buffered <= 4096
    assert [m.event for m in framer.feed(b"\n\n" + EVENT_1)] == ["QueueCallerJoin"]
    assert garbage.reasons == ["message_too_long"]


def test_overlong_line_dropped_message_kept() -> None:
    garbage = Garbage()
    framer = Framer(max_message_bytes=64 * 1024, max_line_bytes=100, on_garbage=garbage)
    raw = b"Event: VarSet\r\nVariable: BIG\r\nValue: " + b"v" * 500 + b"\r\nUniqueid: 9\r\n\r\n"
    (msg,) = framer.feed(raw + EVENT_2)[:1]
    assert msg.event == "VarSet" and msg["Uniqueid"] == "9" and "Value" not in msg
    assert garbage.reasons == ["line_too_long"]
    # A long line below the limit (seen in the wild: over 1024 bytes) is fine.
    (ok,) = Framer().feed(b"Event: VarSet\r\nValue: " + b"v" * 3000 + b"\r\n\r\n")
    assert len(ok["Value"]) == 3000


def test_invalid_utf8_replaced_and_reported_utf8_kept() -> None:
    garbage = Garbage()
    framer = Framer(on_garbage=garbage)
    msgs = framer.feed(
        b"Event: Newchannel\r\nCallerIDName: Ren\xc3\xa9e\r\n\r\n"
        b"Event: Newchannel\r\nCallerIDName: bad\xff\xfe\r\n\r\n" + EVENT_1
    )
    assert [m["CallerIDName"] if "CallerIDName" in m else m.event for m in msgs] == [
        "Renée",
        "bad\ufffd\ufffd",
        "QueueCallerJoin",
    ]
    assert msgs[0].size == len("Event: Newchannel\nCallerIDName: Renée".encode())
    assert garbage.reasons == ["invalid_utf8"]


def test_junk_without_headers_is_reported_and_skipped() -> None:
    garbage = Garbage()
    framer = Framer(on_garbage=garbage)
    msgs = framer.feed(b"hello there\r\nthis is not AMI\r\n\r\n" + EVENT_1)
    assert [m.event for m in msgs] == ["QueueCallerJoin"]
    assert garbage.reasons == ["no_headers"]
    assert garbage.seen[0][1].startswith(b"hello there")


def test_fuzz_never_raises_and_recovers() -> None:
    rng = random.Random(7)
    alphabet = b"\r\n: abcEvent\xff\xc3"
    for _ in range(300):
        framer = Framer(max_message_bytes=256, max_line_bytes=64, on_garbage=lambda r, s: None)
        junk = bytes(rng.choice(alphabet) for _ in range(rng.randrange(600)))
        for i in range(0, len(junk), 37):
            framer.feed(junk[i : i + 37])
        assert framer.buffered <= 256
        msgs = framer.feed(b"\r\n\r\n" + EVENT_2)
        assert msgs and msgs[-1].event == "VarSet"


# -- actions ------------------------------------------------------------------------------
def test_format_action() -> None:
    data = format_action(
        "Originate",
        "x-1",
        {"Channel": "PJSIP/1001", "Variable": ["A=1", "B=2"], "Async": "true"},
    )
    assert data == (
        b"Action: Originate\r\nActionID: x-1\r\nChannel: PJSIP/1001\r\n"
        b"Variable: A=1\r\nVariable: B=2\r\nAsync: true\r\n\r\n"
    )
    assert format_action("Ping", "p", {}) == b"Action: Ping\r\nActionID: p\r\n\r\n"
    assert format_action("Login", "l", {"Secret": "é"}).endswith("Secret: é\r\n\r\n".encode())


@pytest.mark.parametrize(
    "headers",
    [
        {"Channel": "PJSIP/1001\r\nAction: Originate"},
        {"Channel": "PJSIP/1001\nApplication: System"},
        {"Channel": "PJSIP/1001\rData: x"},
        {"Variable": ["A=1", "B=2\r\n\r\nAction: Command"]},
        {"Data": "a\x00b"},
        {"Bad\r\nKey": "v"},
        {"Bad: Key": "v"},
        {"": "v"},
        {"ActionID": "hijack"},
        {"action": "Command"},
    ],
)
def test_format_action_rejects_injection(headers: dict[str, str | list[str]]) -> None:
    with pytest.raises(ValueError):
        format_action("Originate", "x-1", headers)


def test_format_action_rejects_bad_name_id_and_types() -> None:
    with pytest.raises(ValueError):
        format_action("Ping\r\nAction: Command", "x", {})
    with pytest.raises(ValueError):
        format_action("Ping", "x\ny", {})
    with pytest.raises(TypeError):
        format_action("Ping", "x", {"Timeout": 30})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        format_action("Ping", "x", {"Variable": [1]})  # type: ignore[list-item]


# -- baselines ----------------------------------------------------------------------------
@pytest.mark.parametrize("eol", [b"\r\n", b"\n"])
def test_baselines_agree_on_the_synthetic_stream(eol: bytes) -> None:
    stream = synthetic_queue_stream(500, eol=eol)
    assert own_parse(stream) == 500
    if eol == b"\r\n":  # panoramisk only splits on CRLF CRLF
        assert panoramisk_parse(stream) == 500
    msgs = Framer().feed(stream)
    share = sum(m.event == "VarSet" for m in msgs) / len(msgs)
    assert 0.6 < share < 0.85
