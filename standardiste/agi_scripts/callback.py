"""The FastAGI scripts of the callback that keeps the caller's place (BY-1).

- ``callback-offer`` (argument: the queue), at join: sets ``STD_CB_OFFER`` to ``yes`` when
  the caller's expected wait reaches the queue's threshold and their number could be called
  back, else ``no``.
- ``callback-request`` (arguments: the queue, the caller's position), when an offered
  caller pressed the key: sets ``STD_CB_ID`` to the request's id once the request is stored
  and its placeholder placed; left empty when refused (invalid number, do-not-call, the
  bridge out of step with Asterisk...), and the dialplan puts the caller back in line.

The work is :class:`~standardiste.callbacks.CallbackService`'s; these only read the request
and answer.
"""

from __future__ import annotations

import re

import structlog

from standardiste.agi_scripts.server import AgiCall, Script
from standardiste.callbacks import CallbackService, Refused
from standardiste.errors import PbxUnavailable

log = structlog.get_logger(__name__)

OFFER_SCRIPT = "callback-offer"
REQUEST_SCRIPT = "callback-request"
_UNIQUEID_RE = re.compile(r"^([A-Za-z0-9_-]{1,40}-)?[0-9]{1,20}\.[0-9]{1,10}$")
_POSITION_RE = re.compile(r"^[0-9]{1,5}$")


def callback_scripts(service: CallbackService) -> dict[str, Script]:
    """The scripts, by the name the dialplan asks for."""

    async def offer(call: AgiCall) -> None:
        try:
            found = await service.offer(call.arg(1), call.caller_number)
        except Refused as exc:
            log.info("callback.not_offered", queue=call.arg(1)[:40], reason=exc.reason)
            await call.set_variable("STD_CB_OFFER", "no")
            return
        log.info(
            "callback.offer", queue=call.arg(1), offered=found.offered,
            expected_wait=found.expected_wait, position=found.position, agents=found.agents,
        )  # fmt: skip
        await call.set_variable("STD_CB_OFFER", "yes" if found.offered else "no")

    async def request(call: AgiCall) -> None:
        queue, position = call.arg(1), call.arg(2)
        try:
            if not _UNIQUEID_RE.fullmatch(call.uniqueid):
                raise Refused(f"uniqueid {call.uniqueid[:40]!r} is not Asterisk's", "bad_call")
            if not _POSITION_RE.fullmatch(position):
                raise Refused(f"position {position[:10]!r} is not a number", "bad_position")
            made = await service.request(
                queue=queue,
                uniqueid=call.uniqueid,
                caller_number=call.caller_number,
                caller_name=call.caller_name,
                position=int(position),
            )
        except (Refused, PbxUnavailable) as exc:
            log.info(
                "callback.refused", queue=queue[:40], uniqueid=call.uniqueid[:40],
                reason=getattr(exc, "reason", exc.code), error=str(exc),
            )  # fmt: skip
            await call.set_variable("STD_CB_ID", "")
            return
        await call.set_variable("STD_CB_ID", made.id)

    return {OFFER_SCRIPT: offer, REQUEST_SCRIPT: request}


__all__ = ["OFFER_SCRIPT", "REQUEST_SCRIPT", "callback_scripts"]
