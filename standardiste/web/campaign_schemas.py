"""The bodies of the campaign API (SV-7, SV-10, AG-4, CD-1..CD-6, CF-4) and of the
do-not-call lists: :mod:`web.campaign_api`, :mod:`web.contact_api`.

A campaign's settings are :class:`~standardiste.dialer.campaign.CampaignDef`'s: the models
here check the types (a wrong type is a 400 naming the field), then ``CampaignDef.parse``
checks the values and their ranges, its messages naming the field too
(``ring_timeout: a whole number between 15 and 120``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from standardiste.web.schemas import CampaignCard, Input, Model, QueueName

CampaignName = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", max_length=32)
]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Mode = Literal["preview", "progressive", "predictive"]
_Text = Annotated[str, StringConstraints(max_length=200)]
_Number = Annotated[str, StringConstraints(min_length=1, max_length=40)]
AttemptId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
ContactStatusName = Literal["pending", "dialing", "done", "exhausted", "dnc", "removed"]


# -------------------------------------------------------------------- settings (CF-4)
class SpanIn(Input):
    start: Annotated[str, StringConstraints(max_length=5)] = Field(description="HH:MM")
    end: Annotated[str, StringConstraints(max_length=5)] = Field(
        description="HH:MM, after start (00:00: midnight)"
    )


class ScheduleIn(Input):
    timezone: _Text | None = Field(default=None, description="IANA zone of the schedule")
    hours: dict[Day, Annotated[list[SpanIn], Field(max_length=8)]] | None = Field(
        default=None, description="business hours per weekday (a day left out: closed)"
    )
    closed: Annotated[list[_Text], Field(max_length=366)] | None = Field(
        default=None, description="closed dates, YYYY-MM-DD"
    )
    start_date: _Text | None = None
    end_date: _Text | None = None


class RetryIn(Input):
    max_attempts: int | None = Field(default=None, description="per number (1-20)")
    no_answer_delay: int | None = Field(default=None, description="s before the next try")
    busy_delay: int | None = None
    failed_delay: int | None = None
    unknown_delay: int | None = None
    drop_lockout: int | None = Field(default=None, description="s: no call after a drop")
    agent_no_answer_delay: int | None = None


class CampaignSettingsIn(Input):
    """A campaign's settings; those left out take their defaults (CampaignDef's)."""

    display_name: _Text | None = None
    queue: QueueName = Field(description="the campaign's queue: its agents are the queue's")
    mode: Mode | None = None
    caller_id: _Text | None = Field(default=None, description='presented number ("": default)')
    default_region: _Text | None = Field(
        default=None, description="country of numbers without a country code, e.g. FR"
    )
    schedule: ScheduleIn | None = None
    call_window: SpanIn | None = Field(
        default=None, description="the hours a contact may be called, in their own zone"
    )
    retry: RetryIn | None = None
    ring_timeout: int | None = Field(default=None, description="s the contact rings (≥ 15)")
    agent_ring_timeout: int | None = None
    drop_cap: float | None = Field(default=None, description="share of live answers, ≤ 0.03")
    drop_target: float | None = None
    drop_window: int | None = None
    max_lines_per_agent: float | None = None
    preview_timeout: int | None = Field(
        default=None, description="s before a preview dials by itself (0: the agent decides)"
    )
    missed_queues: Annotated[list[QueueName], Field(max_length=64)] | None = Field(
        default=None, description="SV-10 rule: these queues' missed callers join the campaign"
    )
    missed_max_age: int | None = None
    drop_message: int | None = Field(
        default=None,
        description="predictive: the canned audio message a dropped contact hears (0: stock)",
    )


class CampaignCreate(CampaignSettingsIn):
    name: CampaignName = Field(description="a-z 0-9 _ -, never changes")


class SpanOut(Model):
    start: str
    end: str


class ScheduleOut(Model):
    timezone: str
    hours: dict[str, list[SpanOut]]
    closed: list[str]
    start_date: str | None
    end_date: str | None


class RetryOut(Model):
    max_attempts: int
    no_answer_delay: int
    busy_delay: int
    failed_delay: int
    unknown_delay: int
    drop_lockout: int
    agent_no_answer_delay: int


class CampaignSettings(Model):
    name: str
    display_name: str
    queue: str
    mode: Mode
    caller_id: str
    default_region: str
    schedule: ScheduleOut
    call_window: SpanOut
    retry: RetryOut
    ring_timeout: int
    agent_ring_timeout: int
    drop_cap: float
    drop_target: float
    drop_window: int
    max_lines_per_agent: float
    preview_timeout: int
    missed_queues: list[str]
    missed_max_age: int
    drop_message: int


class CampaignOut(Model):
    settings: CampaignSettings
    paused: bool
    paused_by: str
    card: CampaignCard = Field(
        description="the live card the dialer publishes; until it does, the same figures "
        "read from the database"
    )
    can_control: bool = Field(description="the user may pause it and change its contacts")


class Campaigns(Model):
    campaigns: list[CampaignOut]


# -------------------------------------------------------------------- contacts (CD-5)
class ContactsQuery(Input):
    status: ContactStatusName | Literal["open", "all"] = Field(
        default="open", description="open: still to call (pending or being dialled)"
    )
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=10_000_000)


class ContactOut(Model):
    id: int
    name: str
    number: str = Field(description="E.164")
    timezone: str
    source: str = Field(description="csv | missed | manual")
    status: ContactStatusName
    attempts: int
    next_at: str | None = Field(description="not dialled before (ISO 8601, UTC)")
    last_outcome: str | None
    queue: str | None = Field(description="missed: the queue the caller left")
    original_wait: float | None = Field(description="missed: how long they waited, s")
    left_queue_at: str | None = Field(description="missed: when they left the queue")
    created_at: str = Field(description="added (a CSV: its import time)")


class Contacts(Model):
    contacts: list[ContactOut]
    total: int = Field(description="contacts of the status asked for")
    counts: dict[str, int] = Field(description="contacts per status")


class ContactIn(Input):
    name: Annotated[str, StringConstraints(max_length=64)] = ""
    number: _Number = Field(description="with or without country code (the campaign's)")
    timezone: _Text | None = Field(
        default=None, description="the contact's zone (default: from the number)"
    )


class RowErrorOut(Model):
    line: int = Field(description="the file's line (1: the first); 0: the import as a whole")
    column: str = Field(description="the column as the file names it")
    field: str = Field(description="name | number | timezone")
    reason: str = Field(description="why, in English")
    value: str = Field(description="what the cell held (shortened)")
    code: str = Field(
        description="why, as a stable code: no_number, not_a_number, wrong_length, not_valid, "
        "duplicate, bad_timezone, dnc, pending; failed (line 0)"
    )
    first: int = Field(description="a duplicate: the line that had the number first")


class ImportOut(Model):
    id: int
    filename: str
    by: str
    status: Literal["running", "done", "failed"]
    phase: Literal["checking", "saving", "done", "failed"]
    total_rows: int
    done_rows: int = Field(description="rows checked so far")
    imported: int = Field(description="contacts added (0 unless done)")
    rejected: int = Field(description="rows not imported, each in errors")
    errors: list[RowErrorOut]
    started_at: str
    finished_at: str | None


class ImportUpload(Input):
    filename: Annotated[str, StringConstraints(max_length=200)] = Field(
        default="", description="the file's name, for the report"
    )


# -------------------------------------------------------------------- campaign actions
class Paused(Model):
    name: str
    paused: bool
    paused_by: str


class PreviewAction(Input):
    attempt: AttemptId = Field(description="the id of the dial offered to you (entity dial)")


class PreviewDone(Model):
    attempt: str
    action: Literal["preview_dial", "preview_skip"]


# -------------------------------------------------------------------- missed calls (SV-10)
class MissedQuery(Input):
    queue: QueueName | None = Field(default=None, description="one queue (default: all yours)")
    hours: int = Field(default=24, ge=1, le=24 * 31, description="left in the last N hours")
    sort: Literal["left_at", "wait", "queue", "number"] = "left_at"
    order: Literal["asc", "desc"] = "desc"
    limit: int = Field(default=200, ge=1, le=1000)


class MissedCallOut(Model):
    id: str = Field(description="the call's id (uniqueid)")
    queue: str
    number: str
    name: str
    entered_at: str | None
    left_at: str | None
    wait: float | None
    outcome: Literal["abandoned", "timed_out"]
    campaign: str | None = Field(description="the campaign where it is pending, if any")


class MissedCalls(Model):
    calls: list[MissedCallOut]
    campaigns: list[str] = Field(description="the campaigns you may assign them to")


class AssignMissed(Input):
    campaign: CampaignName
    calls: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}\.[0-9]{1,10}$")]],
        Field(min_length=1, max_length=500),
    ] = Field(description="the missed calls' ids")


class Refused(Model):
    call: str
    number: str
    reason: str = Field(description="why, in English")
    code: Literal[
        "not_missed", "not_yours", "already_assigned", "no_number", "bad_number", "twice",
        "dnc", "pending"
    ] = Field(description="why, as a stable code")  # fmt: skip


class AssignReport(Model):
    campaign: str
    added: list[str] = Field(description="the calls now pending in the campaign")
    refused: list[Refused] = Field(description="the others, each with its reason")


# -------------------------------------------------------------------- do-not-call
DncScope = Annotated[
    str,
    StringConstraints(pattern=r"^(\*|[a-z0-9][a-z0-9_-]{0,31})$"),
    Field(description='"*": every campaign; else a campaign\'s name'),
]


class DncQuery(Input):
    scope: DncScope | None = None
    limit: int = Field(default=500, ge=1, le=5000)


class DncNumberOut(Model):
    number: str
    scope: str
    added_at: str


class DncNumbers(Model):
    numbers: list[DncNumberOut]
    scopes: list[str] = Field(description='the scopes you may add to ("*" and campaigns)')


class DncAdd(Input):
    numbers: Annotated[list[_Number], Field(min_length=1, max_length=1000)]
    scope: DncScope = "*"
    region: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field(
        default="FR", description="country of numbers without a country code"
    )


class DncImport(Input):
    scope: DncScope = "*"
    region: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "FR"


class DncAdded(Model):
    added: int = Field(description="numbers new on the list")
    listed: list[str] = Field(description="the valid numbers, E.164 (new or already there)")
    errors: list[RowErrorOut] = Field(description="rows of a file that were not numbers")
