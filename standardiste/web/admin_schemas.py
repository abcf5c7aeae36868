"""The admin API's inputs and outputs (``/api/v1/admin/...``): see :mod:`web.schemas` for
the conventions (outputs declare every field; inputs are validated with a message naming the
field). Queue settings are checked again by :class:`~standardiste.pbx.definitions.QueueDef`
in the bridge, which owns them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from standardiste.accounts import USERNAME_RE
from standardiste.acd.names import EXTENSION_RE, QUEUE_RE, SLUG_RE
from standardiste.pbx.definitions import STRATEGIES
from standardiste.web.schemas import Input, Language, Model, QueueRole, Role

Strategy = Literal[
    "ringall", "leastrecent", "fewestcalls", "random", "rrmemory", "rrordered", "linear", "wrandom"
]
assert set(Strategy.__args__) == set(STRATEGIES)  # type: ignore[attr-defined]
# The patterns are the domain's (one definition of each name rule).
Slug = Annotated[str, StringConstraints(pattern=SLUG_RE.pattern)]
Extension = Annotated[str, StringConstraints(pattern=EXTENSION_RE.pattern)]
Display = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Seconds = Annotated[int, Field(ge=0, le=86400)]


# -------------------------------------------------------------------- queues (CF-2)
class QueueSettings(Model):
    """A call queue's settings, as Asterisk has them."""

    name: str = Field(description="Asterisk's queue name; never changes")
    display_name: str
    extension: str = Field(description="the number that reaches the queue (inbound context)")
    strategy: Strategy
    timeout: int = Field(description="agent ring timeout, s")
    retry: int = Field(description="s before the next agent is tried")
    wrapuptime: int = Field(description="s after a call before the agent is rung again")
    maxwait: int = Field(description="s a caller waits before leaving the queue (timeout)")
    joinempty: bool
    leavewhenempty: bool
    announce_position: bool
    announce_holdtime: bool
    announce_frequency: int
    servicelevel: int = Field(description="service-level threshold, s")
    weight: int = Field(description="priority between queues sharing agents: higher first")
    record: bool
    skill: str = Field(description='the skill agents are ranked by ("": none)')
    skill_min_level: int = Field(description="who rings first: at least this level (1-5)")
    widen_after: int = Field(description="s after which every assigned agent rings (0: never)")
    callback: bool = Field(description="waiting callers may ask to be called back (BY-1)")
    callback_key: str = Field(description="the key (one digit) that asks for a callback")
    callback_threshold: int = Field(
        description="a callback is offered when the expected wait is at least this, s"
    )
    callback_expiry: int = Field(description="s a callback request keeps its place in line")
    sl_variant: int = Field(
        description="service level: 1 (answered+abandoned in T)/(answered+abandoned), "
        "2 answered in T/answered, 3 answered in T/(answered+abandoned), "
        "4 answered in T/(answered+abandoned after T); short abandons left out"
    )
    sl_target: int = Field(description="service-level target, %")
    short_abandon: int = Field(
        description="s: abandons within it are short (out of abandon rate and SL); 0: none"
    )


class _QueueFields(Input):
    display_name: Display | None = None
    extension: Extension | None = None
    strategy: Strategy | None = None
    timeout: Annotated[int, Field(ge=1, le=600)] | None = None
    retry: Annotated[int, Field(ge=0, le=600)] | None = None
    wrapuptime: Annotated[int, Field(ge=0, le=3600)] | None = None
    maxwait: Annotated[int, Field(ge=1, le=86400)] | None = None
    joinempty: bool | None = None
    leavewhenempty: bool | None = None
    announce_position: bool | None = None
    announce_holdtime: bool | None = None
    announce_frequency: Annotated[int, Field(ge=0, le=3600)] | None = None
    servicelevel: Annotated[int, Field(ge=1, le=3600)] | None = None
    weight: Annotated[int, Field(ge=0, le=1000)] | None = None
    record: bool | None = None
    skill: Slug | Literal[""] | None = None
    skill_min_level: Annotated[int, Field(ge=1, le=5)] | None = None
    widen_after: Seconds | None = None
    callback: bool | None = None
    callback_key: Annotated[str, Field(pattern=r"^[0-9]$")] | None = None
    callback_threshold: Seconds | None = None
    callback_expiry: Annotated[int, Field(ge=10, le=86400)] | None = None
    sl_variant: Annotated[int, Field(ge=1, le=4)] | None = None
    sl_target: Annotated[int, Field(ge=1, le=100)] | None = None
    short_abandon: Annotated[int, Field(ge=0, le=600)] | None = None

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class QueueCreate(_QueueFields):
    """A new queue: a name and an extension; every other setting has a default."""

    name: Slug = Field(description="Asterisk's queue name (a-z 0-9 _ -): cannot change later")
    extension: Extension


class QueueUpdate(_QueueFields):
    """The settings to change; those left out stay (renaming changes display_name)."""


class QueueMemberOut(Model):
    username: str | None = Field(description="the user owning the device, if any")
    interface: str
    temporary: bool = Field(
        description="logged in now without being assigned to the queue (taking calls "
        "without the agent workspace)"
    )
    paused: bool
    penalty: int


class AdminQueue(Model):
    settings: QueueSettings
    supervisors: list[str]
    agents: list[str] = Field(description="users assigned as agents")
    connected: list[QueueMemberOut] = Field(description="members logged in now (Asterisk)")
    waiting: int = Field(description="callers waiting now")


class AdminQueues(Model):
    managed: bool = Field(
        description="whether the bridge manages the generated queue files (after the first "
        "queue is stored)"
    )
    queues: list[AdminQueue]


# -------------------------------------------------------------------- users (CF-5)
class QueueLink(Input):
    name: Annotated[str, StringConstraints(pattern=QUEUE_RE.pattern)]
    role: QueueRole


class AdminUser(Model):
    username: str
    display_name: str
    email: str
    role: Role
    is_admin: bool
    disabled: bool
    language: Language
    devices: list[str]
    queues: list[dict[str, str]] = Field(description='[{"name", "role"}]')
    skills: dict[str, int] = Field(description="skill -> level 1-5")
    permissions: list[str] = Field(description="what the user's role may do")


class AdminUsers(Model):
    users: list[AdminUser]


class UserCreate(Input):
    username: Annotated[str, StringConstraints(pattern=USERNAME_RE.pattern)]
    display_name: Annotated[str, StringConstraints(max_length=128)] = ""
    email: Annotated[str, StringConstraints(max_length=320)] = ""
    role: Role = "agent"
    password: Annotated[str, StringConstraints(min_length=8, max_length=1024)] | None = Field(
        default=None, description="left out: one is generated and returned once"
    )
    devices: Annotated[list[str], Field(max_length=10)] = []
    queues: Annotated[list[QueueLink], Field(max_length=200)] = []
    skills: dict[Slug, Annotated[int, Field(ge=1, le=5)]] = {}


class UserUpdate(Input):
    display_name: Annotated[str, StringConstraints(max_length=128)] | None = None
    email: Annotated[str, StringConstraints(max_length=320)] | None = None
    role: Role | None = Field(default=None, description="admin is the admin flag")
    password: Annotated[str, StringConstraints(min_length=8, max_length=1024)] | None = None
    devices: Annotated[list[str], Field(max_length=10)] | None = None
    queues: Annotated[list[QueueLink], Field(max_length=200)] | None = None
    skills: dict[Slug, Annotated[int, Field(ge=1, le=5)]] | None = None
    disabled: bool | None = Field(default=None, description="true ends the user's sessions")


class UserSaved(Model):
    user: AdminUser
    generated_password: str | None = Field(description="shown once, never stored in clear")


class Device(Model):
    interface: str
    state: str = Field(description="Asterisk's device state")
    owner: str | None = Field(description="the user it is linked to")


class Devices(Model):
    devices: list[Device] = Field(description="the PJSIP endpoints Asterisk reports")


# -------------------------------------------------------------------- general (CF-6)
class PermissionInfo(Model):
    name: str
    description: str


class PermissionMatrix(Model):
    permissions: list[PermissionInfo]
    roles: dict[str, list[str]] = Field(description="role -> granted; admin holds all")
    editable: list[str] = Field(description="the roles whose permissions may be edited")


class PermissionUpdate(Input):
    permissions: Annotated[list[str], Field(max_length=100)]


class Skill(Model):
    name: str
    display_name: str


class Skills(Model):
    skills: list[Skill]


class SkillIn(Input):
    name: Slug
    display_name: Display


class PauseReasonOut(Model):
    code: str = Field(description="what Asterisk and the history record")
    label_en: str
    label_fr: str
    active: bool = Field(description="retired reasons stay in the history")


class PauseReasons(Model):
    reasons: list[PauseReasonOut]


class PauseReasonIn(Input):
    code: Slug
    label_en: Display
    label_fr: Display
    active: bool = True


class PauseReasonUpdate(Input):
    label_en: Display | None = None
    label_fr: Display | None = None
    active: bool | None = None


class CannedText(Model):
    id: int
    title: str
    body: str
    language: Literal["en", "fr"]


class CannedTexts(Model):
    texts: list[CannedText]


class CannedTextIn(Input):
    title: Display
    body: Annotated[str, StringConstraints(min_length=1, max_length=4000)]
    language: Literal["en", "fr"] = "en"


class ChatTags(Model):
    tags: list[str]


class ChatTagsIn(Input):
    tags: Annotated[list[Annotated[str, StringConstraints(max_length=32)]], Field(max_length=200)]


class AuditEntryOut(Model):
    id: int
    at: str = Field(description="ISO 8601, UTC")
    actor: str
    action: str
    subject: str
    before: Any
    after: Any


class AuditLog(Model):
    entries: list[AuditEntryOut]


class SpyLogEntryOut(Model):
    id: int
    at: str = Field(description="ISO 8601, UTC")
    session: str = Field(description="the session's id (the supervisor channel's uniqueid)")
    event: Literal["start", "mode", "end"]
    supervisor: str = Field(description="who (empty: started from a phone)")
    device: str = Field(description="the supervisor's device")
    agent: str = Field(description="whom: the spied agent's device")
    agent_name: str = Field(description="the agent's user, if a user has that device")
    queue: str
    mode: Literal["listen", "whisper", "barge"]


class SpyLog(Model):
    entries: list[SpyLogEntryOut]


class AuditQuery(Input):
    before_id: Annotated[int, Field(ge=1)] | None = Field(default=None, description="paging")
    limit: Annotated[int, Field(ge=1, le=500)] = 100


class ReconcileReport(Model):
    differences: list[str] = Field(description="what Asterisk had that the configuration did not")
    fixed: list[str]


class Summary(Model):
    """CF-1."""

    seats: int = Field(description="users holding a role (enabled accounts)")
    roles: dict[str, int] = Field(description="role -> number of users")
    queues: int
    campaigns: dict[str, int] = Field(description="active (not paused) / paused")
    managed: bool
    last_reconcile: AuditEntryOut | None = Field(
        description="the last time the bridge found Asterisk differing from the configuration"
    )
