"""The admin section's JSON API (``/api/v1/admin/...``, CF-1, CF-2, CF-5, CF-6).

Each route names the permission it needs (:mod:`web.admin_routes`), checked before the
handler runs. What Asterisk must take first (queues, skill levels) goes to the bridge over
the command bus and is stored by it once Asterisk has it; the rest is written here. Every
change lands in the configuration audit log (who, when, before, after), and bumps the
configuration version so every web process re-reads the permission matrix and pause reasons.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from standardiste.accounts import User
from standardiste.acd.names import is_interface
from standardiste.errors import Conflict, InvalidInput, PbxUnavailable
from standardiste.history.spy_log import spy_log
from standardiste.pbx.definitions import PauseReason, QueueDef
from standardiste.pbx.store import AuditEntry, ConfigStore
from standardiste.role_permissions import EDITABLE_ROLES, PERMISSIONS, granted
from standardiste.web.admin_schemas import (
    AdminQueue,
    AdminQueues,
    AdminUser,
    AdminUsers,
    AuditEntryOut,
    AuditLog,
    AuditQuery,
    CannedText,
    CannedTextIn,
    CannedTexts,
    ChatTags,
    ChatTagsIn,
    Device,
    Devices,
    PauseReasonIn,
    PauseReasonOut,
    PauseReasons,
    PauseReasonUpdate,
    PermissionInfo,
    PermissionMatrix,
    PermissionUpdate,
    QueueCreate,
    QueueMemberOut,
    QueueSettings,
    QueueUpdate,
    ReconcileReport,
    Skill,
    SkillIn,
    Skills,
    SpyLog,
    SpyLogEntryOut,
    Summary,
    UserCreate,
    UserSaved,
    UserUpdate,
)
from standardiste.web.appkeys import ACCOUNTS, CAMPAIGNS, CONFIG, DEPS, MIRROR, SESSIONS
from standardiste.web.endpoint import read_model, read_query, respond
from standardiste.web.errors import UnknownUser
from standardiste.web.security import current_user
from standardiste.web.user_admin import new_password


def _store(request: web.Request) -> ConfigStore:
    return request.app[CONFIG].store


async def _bridge(request: web.Request, op: str, args: dict[str, Any]) -> Any:
    """A configuration command run by the bridge (Asterisk first, then stored)."""
    commands = request.app[DEPS].config
    if commands is None:
        raise PbxUnavailable("no bridge to apply configuration changes")
    actor = (await current_user(request)).username
    try:
        return await commands.run(op, args, actor=actor)
    finally:
        await request.app[CONFIG].changed()


async def _changed(request: web.Request) -> None:
    await request.app[CONFIG].changed()


# -------------------------------------------------------------------- summary (CF-1)
async def summary(request: web.Request) -> web.Response:
    users = await request.app[ACCOUNTS].list()
    active = [u for u in users if not u.disabled]
    roles: dict[str, int] = {"admin": 0, "supervisor": 0, "agent": 0}
    for user in active:
        roles[user.role] = roles.get(user.role, 0) + 1
    store = _store(request)
    last = next(iter(await store.audit(limit=1, action="config.reconcile")), None)
    campaigns = await request.app[CAMPAIGNS].campaigns()
    return respond(
        request,
        Summary(
            seats=len(active),
            roles=roles,
            queues=len(await store.queues()),
            campaigns={
                "active": sum(not c.paused for c in campaigns),
                "paused": sum(c.paused for c in campaigns),
            },
            managed=await store.managed(),
            last_reconcile=None if last is None else _audit_out(last),
        ),
    )


# -------------------------------------------------------------------- queues (CF-2)
async def _admin_queue(request: web.Request, queue: QueueDef, users: list[User]) -> AdminQueue:
    state = (await request.app[MIRROR].snapshot()).state
    owners = {d: u.username for u in users for d in u.devices}
    assigned = {u.username for u in users if u.queues.get(queue.name) == "agent"}
    connected = []
    for member in state.get("member", {}).values():
        if member.get("queue") != queue.name:
            continue
        owner = owners.get(str(member.get("interface", "")))
        connected.append(
            QueueMemberOut(
                username=owner,
                interface=str(member.get("interface", "")),
                temporary=owner not in assigned,
                paused=bool(member.get("paused")),
                penalty=int(member.get("penalty", 0) or 0),
            )
        )
    waiting = sum(1 for c in state.get("caller", {}).values() if c.get("queue") == queue.name)
    return AdminQueue(
        settings=QueueSettings.model_validate(queue.to_dict()),
        supervisors=sorted(u.username for u in users if u.queues.get(queue.name) == "supervisor"),
        agents=sorted(assigned),
        connected=sorted(connected, key=lambda m: m.interface),
        waiting=waiting,
    )


async def list_queues(request: web.Request) -> web.Response:
    store = _store(request)
    users = await request.app[ACCOUNTS].list()
    queues = [await _admin_queue(request, q, users) for q in await store.queues()]
    return respond(request, AdminQueues(managed=await store.managed(), queues=queues))


async def get_queue(request: web.Request) -> web.Response:
    queue = await _store(request).queue(request.match_info["name"])
    users = await request.app[ACCOUNTS].list()
    return respond(request, await _admin_queue(request, queue, users))


async def create_queue(request: web.Request) -> web.Response:
    body = await read_model(request, QueueCreate)
    saved = await _bridge(request, "queue.create", {"queue": body.changes()})
    queue = QueueDef.from_mapping(saved)
    return respond(
        request, await _admin_queue(request, queue, await request.app[ACCOUNTS].list()), 201
    )


async def update_queue(request: web.Request) -> web.Response:
    body = await read_model(request, QueueUpdate)
    name = request.match_info["name"]
    await _store(request).queue(name)  # 404 before asking the bridge
    saved = await _bridge(request, "queue.update", {"queue": {**body.changes(), "name": name}})
    queue = QueueDef.from_mapping(saved)
    return respond(request, await _admin_queue(request, queue, await request.app[ACCOUNTS].list()))


async def delete_queue(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    await _store(request).queue(name)
    await _bridge(request, "queue.delete", {"name": name})
    return web.Response(status=204)


async def reconcile(request: web.Request) -> web.Response:
    report = await _bridge(request, "reconcile", {})
    return respond(request, ReconcileReport.model_validate(report))


# -------------------------------------------------------------------- users (CF-5)
async def _admin_user(request: web.Request, user: User) -> AdminUser:
    matrix = await request.app[CONFIG].matrix()
    return AdminUser(
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        role=user.role,  # type: ignore[arg-type]
        is_admin=user.is_admin,
        disabled=user.disabled,
        language=user.language,  # type: ignore[arg-type]
        devices=list(user.devices),
        queues=[{"name": q, "role": r} for q, r in sorted(user.queues.items())],
        skills=await _store(request).user_skills(user.username),
        permissions=sorted(granted(user.role, matrix)),
    )


async def list_users(request: web.Request) -> web.Response:
    users = await request.app[ACCOUNTS].list()
    return respond(request, AdminUsers(users=[await _admin_user(request, u) for u in users]))


async def _existing_user(request: web.Request) -> User:
    username = request.match_info["username"]
    user = await request.app[ACCOUNTS].get(username)
    if user is None:
        raise UnknownUser(f"no user {username!r}")
    return user


async def get_user(request: web.Request) -> web.Response:
    return respond(request, await _admin_user(request, await _existing_user(request)))


async def _known_devices(request: web.Request, devices: list[str]) -> None:
    """A user's devices are phones Asterisk reports (the product links, it does not
    provision): refused otherwise, naming the device."""
    known = set((await request.app[MIRROR].snapshot()).state.get("device", {}))
    for device in devices:
        if not is_interface(device) or not device.startswith("PJSIP/"):
            raise InvalidInput(f"device {device!r} is not a PJSIP endpoint like PJSIP/1001")
        if device not in known:
            raise InvalidInput(f"device {device!r}: Asterisk reports no such endpoint")


async def create_user(request: web.Request) -> web.Response:
    body = await read_model(request, UserCreate)
    await _known_devices(request, body.devices)
    actor = (await current_user(request)).username
    generated = None if body.password else new_password()
    accounts = request.app[ACCOUNTS]
    user = await accounts.create_user(
        body.username,
        body.password or generated or "",
        display_name=body.display_name,
        email=body.email,
        role=body.role,
        devices=body.devices,
        queues={q.name: q.role for q in body.queues},
    )
    await _store(request).record(actor, "user.create", user.username, None, user.public())
    if body.skills:
        await _skills(request, user.username, dict(body.skills))
    await _changed(request)
    return respond(
        request,
        UserSaved(user=await _admin_user(request, user), generated_password=generated),
        201,
    )


async def _skills(request: web.Request, username: str, levels: dict[str, int]) -> None:
    """Skill levels change penalties in Asterisk: the bridge stores and applies them."""
    await _bridge(request, "user.skills", {"username": username, "levels": levels})


async def update_user(request: web.Request) -> web.Response:
    body = await read_model(request, UserUpdate)
    user = await _existing_user(request)
    actor = await current_user(request)
    accounts = request.app[ACCOUNTS]
    before = user.public() | {"disabled": user.disabled}
    if body.disabled is not None and user.username == actor.username and body.disabled:
        raise InvalidInput("you cannot disable your own account")
    if body.role is not None and user.username == actor.username and body.role != "admin":
        raise InvalidInput("you cannot take the admin role from yourself")
    if body.devices is not None:
        await _known_devices(request, body.devices)
    if any(v is not None for v in (body.display_name, body.email, body.role, body.password)):
        user = await accounts.update_user(
            user.username,
            display_name=body.display_name,
            email=body.email,
            role=body.role,
            password=body.password,
        )
    if body.devices is not None:
        user = await accounts.set_devices(user.username, body.devices)
    if body.queues is not None:
        user = await accounts.set_queues(user.username, {q.name: q.role for q in body.queues})
    if body.disabled is not None:
        user = await accounts.set_disabled(user.username, body.disabled)
    after = user.public() | {"disabled": user.disabled}
    if after != before or body.password is not None:
        if body.password is not None:
            after["password"] = "changed"
        await _store(request).record(actor.username, "user.update", user.username, before, after)
    if body.password is not None or body.disabled:
        await request.app[SESSIONS].end_user(user.username)  # their websockets close (4001)
    if body.skills is not None:
        await _skills(request, user.username, dict(body.skills))
    await _changed(request)
    return respond(
        request, UserSaved(user=await _admin_user(request, user), generated_password=None)
    )


async def devices(request: web.Request) -> web.Response:
    state = (await request.app[MIRROR].snapshot()).state.get("device", {})
    owners = await request.app[ACCOUNTS].device_directory()
    out = [
        Device(
            interface=name,
            state=str(row.get("state", "")),
            owner=owners.get(name, {}).get("username"),
        )
        for name, row in sorted(state.items())
        if name.startswith("PJSIP/")
    ]
    return respond(request, Devices(devices=out))


# -------------------------------------------------------------------- permissions (CF-6)
async def _matrix(request: web.Request) -> PermissionMatrix:
    matrix = await request.app[CONFIG].matrix()
    return PermissionMatrix(
        permissions=[PermissionInfo(name=n, description=d) for n, d in PERMISSIONS.items()],
        roles={
            "admin": sorted(PERMISSIONS),
            **{r: sorted(matrix.get(r, frozenset())) for r in EDITABLE_ROLES},
        },
        editable=list(EDITABLE_ROLES),
    )


async def get_permissions(request: web.Request) -> web.Response:
    return respond(request, await _matrix(request))


async def set_permissions(request: web.Request) -> web.Response:
    body = await read_model(request, PermissionUpdate)
    role = request.match_info["role"]
    actor = (await current_user(request)).username
    await _store(request).set_role_permissions(role, body.permissions, actor)
    await _changed(request)
    return respond(request, await _matrix(request))


# -------------------------------------------------------------------- skills
async def list_skills(request: web.Request) -> web.Response:
    skills = await _store(request).skills()
    return respond(request, Skills(skills=[Skill(**s) for s in skills]))


async def save_skill(request: web.Request) -> web.Response:
    body = await read_model(request, SkillIn)
    actor = (await current_user(request)).username
    await _store(request).save_skill(body.name, body.display_name, actor)
    await _changed(request)
    return await list_skills(request)


async def delete_skill(request: web.Request) -> web.Response:
    actor = (await current_user(request)).username
    await _store(request).delete_skill(request.match_info["name"], actor)
    await _changed(request)
    return web.Response(status=204)


# -------------------------------------------------------------------- pause reasons
async def _reasons(request: web.Request) -> PauseReasons:
    reasons = await _store(request).pause_reasons()
    return PauseReasons(
        reasons=[
            PauseReasonOut(code=r.code, label_en=r.label_en, label_fr=r.label_fr, active=r.active)
            for r in reasons
        ]
    )


async def list_pause_reasons(request: web.Request) -> web.Response:
    return respond(request, await _reasons(request))


async def create_pause_reason(request: web.Request) -> web.Response:
    body = await read_model(request, PauseReasonIn)
    store = _store(request)
    if body.code in {r.code for r in await store.pause_reasons()}:
        raise Conflict(f"pause reason {body.code!r} already exists")
    actor = (await current_user(request)).username
    await store.save_pause_reason(PauseReason.from_mapping(body.model_dump()), actor)
    await _changed(request)
    return respond(request, await _reasons(request), 201)


async def update_pause_reason(request: web.Request) -> web.Response:
    body = await read_model(request, PauseReasonUpdate)
    changes = {k: v for k, v in body.model_dump().items() if v is not None}
    actor = (await current_user(request)).username
    await _store(request).update_pause_reason(request.match_info["code"], changes, actor)
    await _changed(request)
    return respond(request, await _reasons(request))


# -------------------------------------------------------------------- canned texts, tags
async def _texts(request: web.Request) -> CannedTexts:
    return CannedTexts(texts=[CannedText(**t) for t in await _store(request).canned_texts()])


async def list_canned_texts(request: web.Request) -> web.Response:
    return respond(request, await _texts(request))


async def create_canned_text(request: web.Request) -> web.Response:
    body = await read_model(request, CannedTextIn)
    actor = (await current_user(request)).username
    await _store(request).save_canned_text(body.title, body.body, body.language, actor)
    await _changed(request)
    return respond(request, await _texts(request), 201)


def _text_id(request: web.Request) -> int:
    raw = request.match_info["text_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise InvalidInput(f"canned text id {raw!r} is not a number")
    return int(raw)


async def update_canned_text(request: web.Request) -> web.Response:
    body = await read_model(request, CannedTextIn)
    actor = (await current_user(request)).username
    await _store(request).save_canned_text(
        body.title, body.body, body.language, actor, text_id=_text_id(request)
    )
    await _changed(request)
    return respond(request, await _texts(request))


async def delete_canned_text(request: web.Request) -> web.Response:
    actor = (await current_user(request)).username
    await _store(request).delete_canned_text(_text_id(request), actor)
    await _changed(request)
    return web.Response(status=204)


async def get_chat_tags(request: web.Request) -> web.Response:
    return respond(request, ChatTags(tags=await _store(request).chat_tags()))


async def set_chat_tags(request: web.Request) -> web.Response:
    body = await read_model(request, ChatTagsIn)
    actor = (await current_user(request)).username
    tags = await _store(request).set_chat_tags(body.tags, actor)
    await _changed(request)
    return respond(request, ChatTags(tags=tags))


# -------------------------------------------------------------------- audit
def _audit_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        id=entry.id,
        at=entry.at.isoformat(),
        actor=entry.actor,
        action=entry.action,
        subject=entry.subject,
        before=entry.before,
        after=entry.after,
    )


async def audit(request: web.Request) -> web.Response:
    query = read_query(request, AuditQuery)
    entries = await _store(request).audit(limit=query.limit, before_id=query.before_id)
    return respond(request, AuditLog(entries=[_audit_out(e) for e in entries]))


async def spy_audit(request: web.Request) -> web.Response:
    query = read_query(request, AuditQuery)
    entries = await spy_log(request.app[DEPS].engine, limit=query.limit, before_id=query.before_id)
    owners = await request.app[ACCOUNTS].device_directory()
    return respond(
        request,
        SpyLog(
            entries=[
                SpyLogEntryOut(
                    id=e.id,
                    at=e.at.isoformat(),
                    session=e.session,
                    event=e.event,  # type: ignore[arg-type]
                    supervisor=e.supervisor,
                    device=e.device,
                    agent=e.agent,
                    agent_name=owners.get(e.agent, {}).get("username", ""),
                    queue=e.queue,
                    mode=e.mode,  # type: ignore[arg-type]
                )
                for e in entries
            ]
        ),
    )
