"""``/metrics``: Prometheus metrics of the bridge (as it last published them in Redis) and of
this web process (websocket clients, commands sent and timed out).

Any web node answers for the bridge too, so one scrape target per node is enough; the
bridge's series carry ``process="bridge"``. Access: with ``web.metrics_token`` set, a
``Authorization: Bearer <token>`` header is required; without it, only loopback clients are
answered (the figures are counts, no names, but they are no one else's business).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from standardiste.bridge_status import read_status
from standardiste.web.appkeys import DEPS, HUB
from standardiste.web.errors import Forbidden

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# bridge figure -> (metric name, help, kind)
_BRIDGE_GAUGES = {
    "event_queue_depth": ("event_queue_depth", "AMI events waiting to be applied"),
    "event_queue_high_water": ("event_queue_high_water", "Highest AMI event queue depth"),
    "mirror_pending": ("mirror_pending_changes", "Changes not yet written to Redis"),
    "history_buffered": ("history_buffered_records", "History records not yet in SQL"),
    "commands_in_flight": ("commands_in_flight", "Commands the bridge is running"),
    "journal_pending": ("journal_pending", "Member actions awaiting Asterisk's confirmation"),
    "event_lag_last": ("event_lag_last_seconds", "Lag of the last event applied"),
    "dialer_in_flight": ("dialer_attempts_in_flight", "Campaign attempts the dialer follows"),
}
_BRIDGE_COUNTERS = {
    "events_applied": ("events_applied", "AMI events applied to the model"),
    "events_dropped": ("events_dropped", "AMI events dropped (queue full: a resync follows)"),
    "bad_messages": ("bad_messages", "AMI messages that made no sense"),
    "resyncs": ("resyncs", "Full resyncs with Asterisk"),
    "resync_failures": ("resync_failures", "Resyncs that failed"),
    "commands_taken": ("commands_taken", "Commands taken from the web"),
    "commands_failed": ("commands_failed", "Commands answered with an error"),
    "commands_expired": ("commands_expired", "Commands taken after their deadline"),
    "agi_calls": ("agi_calls", "FastAGI scripts run for the dialplan"),
    "agi_failures": ("agi_failures", "FastAGI requests that failed or were malformed"),
    "agi_refused": ("agi_refused", "FastAGI connections refused (address not allowed)"),
    "callback_requests": ("callback_requests", "Callback requests stored"),
    "callback_placements": ("callback_placements", "Callback placeholders originated"),
    "dialer_decisions": ("dialer_decisions", "Campaign calls the dialer decided to dial"),
}


class _Snapshot(Collector):
    def __init__(self, bridge: Mapping[str, Any], alive: bool, web_figures: Mapping[str, float]):
        self._bridge = bridge
        self._alive = alive
        self._web = web_figures

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "standardiste_bridge_up", "1 when the bridge published within 5 s", labels=["process"]
        )
        up.add_metric(["bridge"], 1.0 if self._alive else 0.0)
        yield up
        ami = GaugeMetricFamily(
            "standardiste_ami_connected",
            "1 when the bridge's AMI session is up",
            labels=["process"],
        )
        ami.add_metric(
            ["bridge"], 1.0 if self._alive and self._bridge.get("ami_connected") else 0.0
        )
        yield ami
        for key, (name, text) in _BRIDGE_GAUGES.items():
            if isinstance(self._bridge.get(key), int | float):
                g = GaugeMetricFamily(f"standardiste_{name}", text, labels=["process"])
                g.add_metric(["bridge"], float(self._bridge[key]))
                yield g
        for key, (name, text) in _BRIDGE_COUNTERS.items():
            if isinstance(self._bridge.get(key), int | float):
                c = CounterMetricFamily(f"standardiste_{name}", text, labels=["process"])
                c.add_metric(["bridge"], float(self._bridge[key]))
                yield c
        lag = self._bridge.get("event_lag_seconds")
        if isinstance(lag, dict) and "buckets" in lag:
            cumulative, buckets = 0, []
            for bound, count in zip([*lag["buckets"], "+Inf"], lag["counts"], strict=True):
                cumulative += int(count)
                buckets.append((str(bound), float(cumulative)))
            h = HistogramMetricFamily(
                "standardiste_event_lag_seconds",
                "From Asterisk's event timestamp to the bridge's model",
                labels=["process"],
            )
            h.add_metric(["bridge"], buckets, float(lag["sum"]))
            yield h
        restarts = self._bridge.get("task_restarts")
        if isinstance(restarts, dict):
            c = CounterMetricFamily(
                "standardiste_task_restarts", "Supervised tasks restarted", labels=["task"]
            )
            for task, n in sorted(restarts.items()):
                c.add_metric([str(task)], float(n))
            yield c
        g = GaugeMetricFamily("standardiste_websocket_clients", "Open websockets on this node")
        g.add_metric([], self._web["websocket_clients"])
        yield g
        c = CounterMetricFamily(
            "standardiste_websocket_dropped", "Websocket clients dropped for falling behind"
        )
        c.add_metric([], self._web["websocket_dropped"])
        yield c
        c = CounterMetricFamily("standardiste_commands_sent", "Commands this node sent")
        c.add_metric([], self._web["commands_sent"])
        yield c
        c = CounterMetricFamily(
            "standardiste_command_timeouts", "Commands this node gave up waiting for"
        )
        c.add_metric([], self._web["command_timeouts"])
        yield c


async def metrics(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    _check_access(request, deps.settings.web.metrics_token)
    status = await read_status(deps.redis, deps.keys)
    hub = request.app[HUB]
    client = getattr(deps.agents, "client", None)
    web_figures = {
        "websocket_clients": float(len(hub.clients)),
        "websocket_dropped": float(hub.dropped),
        "commands_sent": float(getattr(client, "sent", 0)),
        "command_timeouts": float(getattr(client, "timeouts", 0)),
    }
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(status.figures, status.alive, web_figures))
    return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE})


def _check_access(request: web.Request, token: str) -> None:
    if token:
        supplied = request.headers.get("Authorization", "")
        if not hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
            raise Forbidden("/metrics needs the bearer token of setting web.metrics_token")
        return
    try:
        loopback = ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        loopback = False
    # A reverse proxy on this host connects from loopback on behalf of anyone: a request it
    # forwarded (it says so in these headers) is not a loopback client's.
    proxied = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    if not loopback or proxied:
        raise Forbidden(
            "/metrics answers loopback clients only (not through a proxy) unless "
            "web.metrics_token is set"
        )
