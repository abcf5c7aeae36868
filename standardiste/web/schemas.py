"""The API's inputs and outputs as pydantic models: what handlers read and answer, and what
``/api/openapi.json`` describes (:mod:`web.openapi` generates it from these models and the
route registry, :mod:`web.routes`), so the document cannot drift from the code.

Request models refuse what they do not accept with :func:`validate`, which turns pydantic's
errors into one ``InvalidInput`` (400 ``invalid_input``) whose message names the field and
says what is wrong. Response models are built by the handlers and serialised by
:func:`web.endpoint.respond`.

The rows of the live state (``QueueRow``, ``MemberRow``, ...) repeat the fields of the
dataclasses of :mod:`acd.state`, which is what the bridge writes to the mirror; a unit test
keeps the two equal. They allow extra fields: a newer bridge may add one before the web
processes are upgraded, and a dashboard must not fail over it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    RootModel,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from standardiste.accounts import MAX_PASSWORD, User
from standardiste.acd.records import QueueOutcome
from standardiste.acd.state import Entity, Presence
from standardiste.errors import InvalidInput
from standardiste.web.i18n import is_time_zone
from standardiste.web.inputs import MAX_QUEUES, QUEUE_NAME_RE

M = TypeVar("M", bound=BaseModel)


# -------------------------------------------------------------------- validation errors
def validate(model: type[M], raw: object) -> M:
    """``raw`` (a decoded body or query) as ``model``, or a 400 naming the field."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        raise InvalidInput("; ".join(_describe(model, e) for e in errors[:3])) from None


# What a pattern means, for a message a person can act on.
_PATTERN_MEANS = {QUEUE_NAME_RE.pattern: "a queue name (letters, digits, _ . -)"}


def _describe(model: type[BaseModel], error: ErrorDetails) -> str:
    where = _location(error["loc"])
    kind, ctx = error["type"], error.get("ctx", {})
    value = error.get("input")
    if kind == "missing":
        return f"field {where} is required"
    if kind == "extra_forbidden":
        return f"field {where} is not accepted here: only {', '.join(model.model_fields)}"
    if kind == "string_type":
        return f"field {where} must be a string"
    if kind == "string_too_short":
        return f"field {where} must not be empty"
    if kind == "string_too_long":
        return f"field {where} is longer than {ctx.get('max_length')} characters"
    if kind == "too_long":
        return f"field {where} has more than {ctx.get('max_length')} items"
    if kind == "list_type":
        return f"field {where} must be a list"
    if kind == "string_pattern_mismatch":
        meaning = _PATTERN_MEANS.get(str(ctx.get("pattern")), "of the expected form")
        return f"field {where}: {_shown(value)} is not {meaning}"
    if kind == "literal_error":
        return f"field {where} must be {ctx.get('expected')}"
    if not where:  # a check of the whole body (model_validator): its message names fields
        return str(error["msg"])
    return f"field {where}: {error['msg']}"


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _shown(value: object) -> str:
    """A value quoted in a message, cut short: messages are shown and logged."""
    return repr(value[:64]) if isinstance(value, str) else "this value"


# -------------------------------------------------------------------- shared types
class Model(BaseModel):
    """Outputs: every field is declared (the document lists them all)."""

    model_config = ConfigDict(extra="forbid")


class Input(BaseModel):
    """Inputs: fields a client sends beyond these are ignored (forms may carry others)."""

    model_config = ConfigDict(extra="ignore")


Language = Literal[
    "en", "fr", ""
]  # standardiste.account_tables.LANGUAGES; "" = the browser's language
Role = Literal["agent", "supervisor", "admin"]
QueueRole = Literal["agent", "supervisor"]
AgentActionName = Literal["login", "logout", "pause", "resume"]
QueueName = Annotated[str, StringConstraints(pattern=QUEUE_NAME_RE.pattern)]
QueueNames = Annotated[list[QueueName], Field(max_length=MAX_QUEUES)]


def _zone(value: str) -> str:
    if not is_time_zone(value):
        raise PydanticCustomError(
            "time_zone",
            "{shown} is not an IANA time zone like Europe/Paris",
            {"shown": _shown(value)},
        )
    return value


TimeZone = Annotated[
    str,
    AfterValidator(_zone),
    Field(description="an IANA time zone key, e.g. Europe/Paris", examples=["Europe/Paris"]),
]


# -------------------------------------------------------------------- errors
class ErrorDetail(Model):
    code: str = Field(description="stable: clients may branch on it (see each response)")
    message: str = Field(description="for people; may change")


class ErrorBody(Model):
    """Every error: ``{"error": {"code", "message"}}``, mapped in one place (web.errors)."""

    error: ErrorDetail


# -------------------------------------------------------------------- session and me
class LoginRequest(Input):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="case and surrounding spaces are ignored"
    )
    password: Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD)]


class QueueMembership(Model):
    name: str
    role: QueueRole


class UserOut(Model):
    """What the API shows of a user (never the password hash)."""

    username: str
    display_name: str
    email: str
    role: Role
    language: Language = Field(description='the UI language; "": the browser\'s')
    time_zone: str = Field(description='an IANA time zone key; "": the contact center\'s')
    devices: list[str] = Field(description="the devices the user takes calls on; first: default")
    queues: list[QueueMembership]

    @classmethod
    def of(cls, user: User) -> Self:
        return cls.model_validate(user.public())


class Me(Model):
    user: UserOut
    csrf_token: str = Field(
        description="send it as X-CSRF-Token (or form field csrf_token) on every request "
        "that changes state"
    )
    pause_reasons: list[str] = Field(description="the reasons a pause may be given (codes)")
    pause_reason_labels: dict[str, str] = Field(
        description="code -> label in the user's language (admins edit them)"
    )
    permissions: list[str] = Field(description="what the user's role may do (role matrix)")


def _left_out(schema: dict[str, JsonValue]) -> None:
    """A field that may be left out but has no default value to document (left out means
    "unchanged", see ``model_fields_set``)."""
    schema.pop("default", None)


class Preferences(BaseModel):
    """My own UI language and time zone. Either field may be left out; other fields are
    refused."""

    model_config = ConfigDict(extra="forbid")

    language: Language = Field(
        default="",
        description="the UI's language; empty: the browser's (Accept-Language)",
        json_schema_extra=_left_out,
    )
    timezone: TimeZone = Field(default="", json_schema_extra=_left_out)
    time_zone: TimeZone = Field(
        default="",
        description="the same as timezone, spelt as User spells it",
        json_schema_extra=_left_out,
    )

    @model_validator(mode="after")
    def _one_zone(self) -> Self:
        sent = self.model_fields_set
        if {"timezone", "time_zone"} <= sent and self.timezone != self.time_zone:
            raise PydanticCustomError(
                "zones_disagree", "field timezone disagrees with field time_zone: send only one"
            )
        return self

    def changes(self) -> tuple[str | None, str | None]:
        """(language, time zone): None for what was left out."""
        sent = self.model_fields_set
        language = self.language if "language" in sent else None
        zone = next((getattr(self, f) for f in ("timezone", "time_zone") if f in sent), None)
        return language, zone


# -------------------------------------------------------------------- agent actions
class AgentAction(Input):
    """Log in, log out or resume. ``queues`` null or left out: the target's assigned queues
    for a log-in (within what the actor supervises), every queue the device is in otherwise
    (a supervisor: those they supervise)."""

    queues: QueueNames | None = None
    device: Annotated[str, StringConstraints(min_length=1, max_length=80)] | None = Field(
        default=None, description="one of the target's devices (default: their first)"
    )


class PauseAction(AgentAction):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="one of Me.pause_reasons"
    )


class AgentActionResult(Model):
    username: str = Field(description="the agent acted on")
    device: str
    action: AgentActionName
    queues: list[str] = Field(description="the queues it was done in, confirmed by Asterisk")
    by: str = Field(description="who asked")
    forced: bool = Field(description="asked by someone else (a supervisor or an admin)")


# -------------------------------------------------------------------- the live state
class Row(BaseModel):
    """A row of the live state; fields a newer bridge adds pass through."""

    model_config = ConfigDict(extra="allow")


class Counters(Row):
    """Today's outcomes in one queue, counted as queue_log counts them."""

    day: str = Field(default="", description="the contact center's day they count (YYYY-MM-DD)")
    offered: int = Field(default=0, description="callers who entered the queue")
    handled: int = 0
    abandoned: int = 0
    timed_out: int = 0
    transferred: int = Field(
        default=0, description="taken or transferred out of the queue by a supervisor"
    )
    exited: int = Field(default=0, description="left otherwise (empty queue, a key)")
    answered_wait: float = Field(default=0.0, description="total wait of answered calls, s")
    longest_wait: float = Field(default=0.0, description="longest wait of a caller who left, s")
    completed: int = Field(default=0, description="answered calls that ended")
    talk: float = Field(default=0.0, description="their talk time (including hold), s")
    hold: float = Field(default=0.0, description="their time on hold, s")
    waits_answered: dict[int, int] = Field(
        default_factory=dict, description="ceil(wait in s) -> answered calls"
    )
    waits_abandoned: dict[int, int] = Field(
        default_factory=dict, description="ceil(wait in s) -> abandoned calls"
    )
    callbacks_requested: int = Field(default=0, description="callback requests made (BY-1)")
    callbacks_connected: int = Field(default=0, description="callbacks the customer answered")
    callbacks_expired: int = Field(default=0, description="callback requests that expired")
    callbacks_failed: int = Field(default=0, description="callbacks whose customer was not reached")


class QueueRow(Row):
    name: str
    strategy: str = ""
    max_callers: int = 0
    service_level: int = 0
    weight: int = 0
    today: Counters = Field(default_factory=lambda: Counters())
    updated_at: float = 0.0


class MemberRow(Row):
    """A queue member (an agent's device in one queue), with its presence."""

    queue: str
    interface: str
    member_name: str = ""
    state_interface: str = ""
    dynamic: bool = True
    paused: bool = False
    paused_reason: str = ""
    paused_by: str = ""
    forced: bool = False
    status: int = 0
    in_call: bool = False
    ringing: bool = False
    calls_taken: int = 0
    last_call: float = 0.0
    wrapup_until: float = 0.0
    wrapuptime: float = 0.0
    penalty: int = 0
    since: float = 0.0
    logged_in_at: float = 0.0
    status_name: str = Field(default="unknown", description="Asterisk's device status, by name")
    presence: Presence
    time_in_status: float | None = Field(description="seconds since `since`, at server_time")


class CallerRow(Row):
    """A caller waiting in a queue."""

    uniqueid: str
    queue: str
    channel: str
    caller_number: str
    caller_name: str
    position: int
    joined_at: float
    ringing: str = Field(default="", description="the interface being rung for this caller, if any")
    kind: Literal["call", "callback"] = Field(
        default="call",
        description='"callback": a callback request keeping a caller\'s place (BY-1); its '
        "number is the customer's, called when an agent answers",
    )
    callback: str = Field(default="", description="the callback request's id")


class CallRow(Row):
    """An answered queue call."""

    uniqueid: str
    queue: str
    agent: str
    member_name: str
    caller_number: str
    caller_name: str
    wait: float
    answered_at: float
    agent_uniqueid: str = ""
    hold: float = 0.0
    on_hold_since: float = 0.0
    kind: Literal["call", "callback"] = Field(
        default="call", description='"callback": the agent answered a callback request (BY-1)'
    )
    callback: str = Field(default="", description="the callback request's id")


class DeviceRow(Row):
    device: str
    state: str = Field(description="Asterisk's device state, e.g. NOT_INUSE, INUSE, RINGING")
    since: float


class SpyRow(Row):
    """A supervisor's listen / whisper / barge session on an agent's call (SV-9)."""

    uniqueid: str = Field(description="the supervisor channel's uniqueid: the session's id")
    channel: str
    device: str = Field(description="the supervisor's device")
    supervisor: str = Field(description="the user who started it; empty: from a phone")
    agent: str = Field(description="the spied agent's device")
    target_channel: str
    target_uniqueid: str
    queue: str = Field(description="the queue it concerns (empty: a non-queue call)")
    mode: Literal["listen", "whisper", "barge"]
    started_at: float
    mode_since: float


class DirectRow(Row):
    """A call on an agent's phone that did not come through a queue (QD-3: other calls)."""

    uniqueid: str
    device: str = Field(description="the agent's device")
    direction: Literal["inbound", "outbound"]
    peer_number: str = Field(description="the other party's number, when known")
    started_at: float
    answered_at: float = Field(description="0: not answered yet")


class CannedRow(Row):
    """A canned audio message playing into an agent's call (AG-3): both parties hear it."""

    uniqueid: str = Field(description="the playing channel's uniqueid: the playback's id")
    channel: str
    message: int = Field(description="the canned audio message's id")
    name: str = Field(description="its name when played (empty: unknown)")
    by: str = Field(description="the user who played it (empty: unknown)")
    agent: str = Field(description="the agent's device")
    target_channel: str
    target_uniqueid: str
    queue: str = Field(description="the queue of the call (empty: a non-queue call)")
    started_at: float


class CampaignCard(Row):
    """A campaign's card (SV-7, AG-4), written by the dialer every tick and on each change."""

    name: str
    display_name: str
    queue: str = Field(description="the campaign's queue: its agents are the queue's")
    mode: Literal["preview", "progressive", "predictive"]
    status: Literal["active", "paused", "inactive"]
    reason: str = Field(
        description="why: paused, no_contacts, no_agents, outside_schedule, ended (or empty)"
    )
    paused_by: str
    agents_logged_in: int
    agents_free: int
    contacts_total: int
    contacts_left: int = Field(description="pending or being dialled (CD-3 'not yet dialled')")
    contacts_dialled: int = Field(description="contacts with at least one attempt (CD-3)")
    handled: int = Field(description="today: answered by the contact (CD-2)")
    incomplete: int = Field(description="today: no answer, busy or failed (CD-2)")
    dropped: int = Field(description="today: answered with no agent within 2 s")
    in_flight: int
    aht: float | None = Field(description="today's average handle time of answered calls, s")
    drop_rate: float | None = Field(description="drops / live answers over the rule's window")
    updated_at: float


class DialRow(Row):
    """An attempt in flight: the agent sees the contact's name and number as it rings."""

    id: str = Field(description="the attempt's id")
    campaign: str
    queue: str
    mode: Literal["preview", "progressive", "predictive", "callback"]
    contact_id: int
    contact_name: str
    number: str = Field(description="E.164")
    agent: str = Field(description="the agent's user name (empty: none yet)")
    device: str = Field(description="the agent's device (empty: none yet)")
    state: Literal[
        "preview", "ringing_agent", "ringing_contact", "talking", "queued", "message"
    ] = Field(
        description="preview: offered to the agent, who dials or skips it; then ringing the agent"
        " (agent-first), ringing the contact, talking, queued (predictive: answered, waiting for"
        " an agent), message (dropped: the recorded message plays)"
    )
    started_at: float
    since: float = Field(description="when the current state began")


class LiveState(Model):
    """The entities the user may see, keyed as in the Redis mirror."""

    queue: dict[str, QueueRow] = Field(description="queue name -> queue")
    member: dict[str, MemberRow] = Field(description="queue|interface -> member")
    caller: dict[str, CallerRow] = Field(description="uniqueid -> waiting caller")
    call: dict[str, CallRow] = Field(description="uniqueid -> answered call")
    device: dict[str, DeviceRow] = Field(description="device -> its state")
    spy: dict[str, SpyRow] = Field(
        default_factory=dict, description="session id -> listen / whisper / barge session"
    )
    direct: dict[str, DirectRow] = Field(
        default_factory=dict, description="uniqueid -> an agent's non-queue call"
    )
    canned: dict[str, CannedRow] = Field(
        default_factory=dict, description="playback id -> canned audio message playing"
    )
    campaign: dict[str, CampaignCard] = Field(
        default_factory=dict, description="campaign name -> its card"
    )
    dial: dict[str, DialRow] = Field(
        default_factory=dict, description="attempt id -> dial in flight"
    )


class QueueMetricsOut(Model):
    """A queue's metrics over a period (acd/metrics.py). Percentages 0-100 and seconds,
    rounded to 0.1; null where undefined (nothing to divide by)."""

    offered: int = Field(description="callers who entered the queue")
    handled: int = Field(description="answered by an agent")
    abandoned: int = Field(description="hung up while waiting")
    short_abandoned: int = Field(description="of those, within the queue's short-abandon time")
    timed_out: int = Field(description="removed by the queue's maximum wait")
    transferred: int = Field(description="taken or transferred out by a supervisor")
    exited: int = Field(description="left otherwise (empty queue, a key)")
    service_level: float | None = Field(description="% in the queue's variant and threshold")
    abandon_rate: float | None = Field(description="(abandoned - short) / (offered - short), %")
    asa: float | None = Field(description="average wait of answered calls, s")
    aht: float | None = Field(description="(talk incl. hold + after-call work) / ended calls, s")
    longest_wait: float | None = Field(description="longest wait of a caller who left, s")
    talk: float = Field(description="talk time of the ended calls, including hold, s")
    hold: float = Field(description="their time on hold, s")
    acw: float | None = Field(description="after-call work, s (null: not known)")


class ServiceLevelOut(Model):
    threshold: int = Field(description="T, s: answered within it counts as within service")
    variant: int = Field(description="1-4, see acd/metrics.py")
    target: int = Field(description="%")
    short_abandon: int = Field(description="s; 0: no short abandons")
    status: Literal["ok", "near", "below"] | None = Field(
        description="ok: at or above target; near: within 10 points under; below"
    )


class QueueFigures(Model):
    """One queue card, computed on the full state (an agent sees how many wait, not who)."""

    waiting: int
    longest_wait: float = Field(description="seconds, at server_time")
    waiting_since: float | None
    talking: int
    agents_logged_in: int
    agents_paused: int
    agents_ready: int
    agents_in_call: int
    handled: int
    abandoned: int
    timed_out: int
    transferred: int = Field(description="taken or transferred out by a supervisor (QD-2)")
    callbacks_waiting: int = Field(
        default=0, description="of the waiting callers, callback requests (BY-1)"
    )
    callbacks_requested: int = Field(default=0, description="callback requests made today")
    callbacks_connected: int = Field(default=0, description="callbacks the customer answered")
    callbacks_expired: int = Field(default=0, description="callback requests that expired")
    callbacks_failed: int = Field(default=0, description="callbacks whose customer was not reached")
    total: int
    pct_handled: float | None
    pct_abandoned: float | None
    pct_timed_out: float | None
    metrics: QueueMetricsOut = Field(
        description="today's metrics, defined in acd/metrics.py as the reports compute them"
    )
    sl: ServiceLevelOut
    updated_at: float | None


class Owner(Model):
    username: str
    display_name: str


class Overview(Model):
    """The live state the user may see, with queue figures. Admin: everything. Supervisor:
    the queues they supervise in full. Agent: the queue records and figures of their queues,
    their own member rows and calls. The websocket's snapshot has the same body."""

    seq: int = Field(description="the mirror's batch number this state is at")
    server_time: float
    day: str = Field(description="the contact center's day (YYYY-MM-DD) of today's counters")
    state: LiveState
    figures: dict[str, QueueFigures] = Field(description="queue -> its card")
    users: dict[str, Owner] = Field(description="device shown -> its owner")


class OverviewQuery(Input):
    queues: str | None = Field(
        default=None, description="comma-separated queue names to narrow to (each must be visible)"
    )

    def names(self) -> list[str] | None:
        return None if self.queues is None else [q for q in self.queues.split(",") if q]


# -------------------------------------------------------------------- history figures
class DayCounts(Model):
    """AG-5: one agent's calls on one of their local days."""

    day: str = Field(description="YYYY-MM-DD, in the user's time zone")
    queue_answered: int
    non_queue_answered: int
    non_queue_made: int


class HandleTime(Model):
    completed: int = Field(description="completed calls answered today")
    average_s: float = Field(description="their average handle time (talk, hold included)")


class Activity(Model):
    """AG-5 (today beside yesterday and the same day last week), AG-6 (this week, Monday
    first) and AG-4's average handle time of the user's queues (the contact center's day)."""

    generated_at: float
    today: DayCounts
    yesterday: DayCounts
    last_week: DayCounts
    week: list[DayCounts] = Field(min_length=7, max_length=7)
    handleTimes: dict[str, HandleTime] = Field(description="queue -> today's handle time")


class HandleTimes(Model):
    """SV-6: today's average call duration of the queues the user may see."""

    handleTimes: dict[str, HandleTime]


# -------------------------------------------------------------------- call history
class CallsQuery(Input):
    queue: QueueName = Field(description="a queue the user supervises (an admin: any)")
    date: dt.date | None = Field(
        default=None,
        description="the contact center's day (YYYY-MM-DD) the calls entered the queue; "
        "none: the most recent calls, whatever the day",
    )
    limit: int = Field(default=50, ge=1, le=500, description="at most this many, newest first")


class CallOut(Model):
    """One caller's passage through the queue, from the history."""

    call_id: str = Field(description="the call's id (the caller's Asterisk uniqueid)")
    queue: str
    caller_number: str
    caller_name: str
    entered_at: float | None = Field(description="epoch seconds")
    answered_at: float | None = Field(description="epoch seconds; none: not answered")
    agent: str | None = Field(description="the device that answered")
    agent_name: str | None = Field(description="its user's display name, else Asterisk's")
    wait: float | None = Field(description="seconds in the queue")
    talk: float | None = Field(description="seconds of conversation (hold included)")
    hold: float | None
    outcome: QueueOutcome | None = Field(description="none: the caller is still there")
    ended_by: str | None
    completed_at: float | None = Field(description="epoch seconds")
    recording: bool = Field(
        description="the call was recorded and its recording is kept: "
        "GET /api/v1/recordings/{call_id}"
    )


class Calls(Model):
    """A queue's calls, newest first."""

    queue: str
    day: str | None = Field(description="the day asked for (YYYY-MM-DD), or none")
    can_play: bool = Field(
        description="the user may play this queue's recordings (permission recordings.play)"
    )
    calls: list[CallOut]


# -------------------------------------------------------------------- health
class Alive(Model):
    status: Literal["alive"]


class Checks(Model):
    ami: bool = Field(description="the bridge published, within seconds, that AMI is up")
    redis: bool
    database: bool


class Readiness(Model):
    ready: bool
    checks: Checks
    figures: dict[str, JsonValue] = Field(
        description="the bridge's measured figures: event queue depth and high water, events "
        "dropped, bad messages, resyncs, pending mirror writes, buffered history records, "
        "commands"
    )


# -------------------------------------------------------------------- the websocket
class Subscribe(BaseModel):
    """Client to server: narrow the feed to these queues (null: all the user may see)."""

    type: Literal["subscribe"]
    queues: QueueNames | None = None


class LiveClientMessage(RootModel[Subscribe]):
    """What a client may send on /api/v1/live."""


class Snapshot(Overview):
    """The whole picture: first, after a subscribe, and after a gap."""

    type: Literal["snapshot"]


class ChangesMessage(Model):
    """One batch of the mirror as the user sees it."""

    type: Literal["changes"]
    seq: int
    server_time: float
    changes: list[tuple[Entity, str, dict[str, Any] | None]] = Field(
        description="[entity, key, row or null (gone)]; rows as in Overview.state"
    )
    figures: dict[str, QueueFigures] = Field(description="the cards of the queues it touched")
    users: dict[str, Owner]


class ErrorMessage(Model):
    type: Literal["error"]
    error: ErrorDetail


class ResyncRequired(Model):
    """The client fell behind: the server closes with 4000; reconnect for a snapshot."""

    type: Literal["resync_required"]


class LiveServerMessage(
    RootModel[
        Annotated[
            Snapshot | ChangesMessage | ErrorMessage | ResyncRequired,
            Field(discriminator="type"),
        ]
    ]
):
    """What the server sends on /api/v1/live."""


__all__ = [
    "Activity",
    "AgentAction",
    "AgentActionResult",
    "Alive",
    "CallOut",
    "Calls",
    "CallsQuery",
    "ErrorBody",
    "HandleTimes",
    "LiveClientMessage",
    "LiveServerMessage",
    "LoginRequest",
    "Me",
    "Overview",
    "OverviewQuery",
    "PauseAction",
    "Preferences",
    "Readiness",
    "UserOut",
    "validate",
]
