"""/metrics: the bridge's figures as it published them, this node's own, and who may read."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families
from web_helpers import Browser

from standardiste.redis_keys import RedisKeys
from standardiste.web.appkeys import DEPS


def samples(text: str) -> dict[str, float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            out[f"{s.name}{{{labels}}}"] = s.value
    return out


async def test_metrics_show_the_bridge_and_this_node(
    browser: Callable[[], Browser], redis_client: aioredis.Redis, keys: RedisKeys
) -> None:
    figures = {
        "ami_connected": True,
        "event_queue_depth": 3,
        "events_applied": 1200,
        "resyncs": 2,
        "commands_taken": 7,
        "event_lag_seconds": {"buckets": [0.01, 0.1], "counts": [5, 2, 1], "sum": 0.9},
        "task_restarts": {"ami": 1, "commands": 0},
        "dialer_in_flight": 2,
        "dialer_decisions": 31,
    }
    await redis_client.hset(
        keys.bridge, mapping={"figures": json.dumps(figures), "alive_at": repr(time.time())}
    )
    resp = await browser().get("/metrics")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain")
    got = samples(await resp.text())
    assert got["standardiste_bridge_up{process=bridge}"] == 1
    assert got["standardiste_ami_connected{process=bridge}"] == 1
    assert got["standardiste_event_queue_depth{process=bridge}"] == 3
    assert got["standardiste_events_applied_total{process=bridge}"] == 1200
    assert got["standardiste_resyncs_total{process=bridge}"] == 2
    assert got["standardiste_commands_taken_total{process=bridge}"] == 7
    assert got["standardiste_event_lag_seconds_bucket{le=0.1,process=bridge}"] == 7
    assert got["standardiste_event_lag_seconds_count{process=bridge}"] == 8
    assert got["standardiste_task_restarts_total{task=ami}"] == 1
    assert got["standardiste_dialer_attempts_in_flight{process=bridge}"] == 2
    assert got["standardiste_dialer_decisions_total{process=bridge}"] == 31
    assert got["standardiste_websocket_clients{}"] == 0


async def test_a_silent_bridge_is_down_in_metrics(browser: Callable[[], Browser]) -> None:
    got = samples(await (await browser().get("/metrics")).text())
    assert got["standardiste_bridge_up{process=bridge}"] == 0
    assert got["standardiste_ami_connected{process=bridge}"] == 0


async def test_with_a_token_metrics_need_it(make_app: Callable[[], web.Application]) -> None:
    app = make_app()
    deps = app[DEPS]
    app[DEPS] = replace(
        deps, settings=replace(deps.settings, web=replace(deps.settings.web, metrics_token="s3"))
    )
    async with TestServer(app) as server, aiohttp.ClientSession() as http:
        url = str(server.make_url("/metrics"))
        async with http.get(url) as resp:
            assert resp.status == 403
            assert (await resp.json())["error"]["code"] == "forbidden"
        async with http.get(url, headers={"Authorization": "Bearer wrong"}) as resp:
            assert resp.status == 403
        async with http.get(url, headers={"Authorization": "Bearer s3"}) as resp:
            assert resp.status == 200


async def test_metrics_through_a_proxy_on_this_host_are_refused(
    make_app: Callable[[], web.Application],
) -> None:
    """A proxy on the same host connects from loopback for any client of the Internet."""
    async with TestServer(make_app()) as server, aiohttp.ClientSession() as http:
        url = str(server.make_url("/metrics"))
        for header in ({"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"}):
            async with http.get(url, headers=header) as resp:
                assert resp.status == 403, header
        async with http.get(url) as resp:
            assert resp.status == 200, "a loopback client asking directly"
