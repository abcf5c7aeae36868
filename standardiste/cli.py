"""The ``standardiste`` command: sandbox, bridge, web, db, demo, user, queue-log."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from standardiste.config import ConfigError, Settings, load, shown_url
from standardiste.logs import configure


def _sandbox(settings: Settings, action: str) -> int:
    from standardiste.tools import sandbox

    root = sandbox.root_path(settings.sandbox.cache_dir)
    if action == "up":
        built = sandbox.build_root(
            settings.sandbox.cache_dir, mirror=settings.sandbox.mirror, suite=settings.sandbox.suite
        )
        info = sandbox.up(built, settings.sandbox.config_dir, ami_port=settings.ami.port)
        print(f"Asterisk {info.version} is up (root {built})")
        print(f"  AMI  {info.ami_host}:{info.ami_port}  user {settings.ami.username}")
        print(f"  SIP  {info.sip_host}:{info.sip_port} (udp)")
        return 0
    if action == "down":
        sandbox.down(root)
        print("Asterisk sandbox is down")
        return 0
    status = sandbox.status(root)
    print(status.describe())
    return 0 if status.running else 3


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _run_bridge(settings: Settings) -> None:
    from standardiste.composition import bridge_from_settings

    stop = _stop_on_signals()
    async with bridge_from_settings(settings) as bridge:
        print(
            f"bridge running: AMI {settings.ami.host}:{settings.ami.port}, "
            f"Redis {shown_url(settings.redis.url)}, history {shown_url(settings.database.url)}",
            flush=True,
        )
        await stop.wait()
        print(f"bridge stopping: {bridge.figures()}", flush=True)


async def _run_web(settings: Settings) -> None:
    from standardiste.web.process import web_from_settings

    stop = _stop_on_signals()
    async with web_from_settings(settings) as url:
        print(f"web app on {url} (Redis {shown_url(settings.redis.url)})", flush=True)
        await stop.wait()


async def _run_demo(settings: Settings, seed: int | None) -> int:
    from standardiste.tools.demo import DemoError, DemoOptions, run_demo

    stop = asyncio.Event()

    def on_signal() -> None:
        # A second Ctrl-C does not kill: that would leave sipp and Asterisk running.
        if stop.is_set():
            print(
                "standardiste: demo: already stopping (each step is time-bounded)",
                file=sys.stderr,
                flush=True,
            )
        stop.set()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    try:
        await run_demo(settings, stop, DemoOptions(seed=seed))
    except DemoError as exc:
        print(f"standardiste: demo: {exc}", file=sys.stderr)
        return 1
    return 0


async def _db_upgrade(settings: Settings) -> None:
    from standardiste.history.migrate import upgrade

    await upgrade(settings.database.url)
    print(f"database at head: {shown_url(settings.database.url)}")


def _read_password() -> str | None:
    """The password piped on stdin (first line); None on a terminal or when empty."""
    if sys.stdin is None or sys.stdin.isatty():
        return None
    return sys.stdin.readline().rstrip("\r\n") or None


async def _user(settings: Settings, args: argparse.Namespace) -> int:
    from standardiste.errors import StandardisteError
    from standardiste.web import user_admin

    try:
        if args.user_command == "add":
            done = await user_admin.add_user(
                settings, args.name, role=args.role, password=_read_password(),
                display_name=args.display_name, email=args.email, devices=args.device,
                queues=user_admin.parse_queues(args.queue),
            )  # fmt: skip
        elif args.user_command == "password":
            done = await user_admin.set_password(settings, args.name, _read_password())
        else:
            done = await user_admin.set_disabled(
                settings, args.name, args.user_command == "disable"
            )
    except StandardisteError as exc:
        print(f"standardiste: user {args.user_command}: {exc.message}", file=sys.stderr)
        return 1
    print(f"user {done.user.username} ({done.user.role}): {args.user_command} done", flush=True)
    if done.sessions_ended:
        print(f"{done.sessions_ended} session(s) ended", flush=True)
    if done.generated_password is not None:
        print(f"password (shown once): {done.generated_password}", flush=True)
    return 0


async def _queue_log_export(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy.ext.asyncio import create_async_engine

    from standardiste.history.queue_log_export import BadRange, export_lines, parse_bound
    from standardiste.history.urls import async_url

    try:
        start = parse_bound(args.start, settings.timezone, end=False)
        end = parse_bound(args.end, settings.timezone, end=True)
        if end <= start:
            raise BadRange("the end of the range must be after its start")
    except BadRange as exc:
        print(f"standardiste: queue-log export: {exc}", file=sys.stderr)
        return 2
    engine = create_async_engine(async_url(settings.database.url))
    out = sys.stdout if args.output is None else args.output.open("w", encoding="utf-8")
    try:
        async for chunk in export_lines(engine, start, end, args.queue or None):
            out.write(chunk)
    finally:
        if out is not sys.stdout:
            out.close()
        await engine.dispose()
    return 0


def _queue_log_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    qlog = sub.add_parser(
        "queue-log",
        help="the history as Asterisk queue_log lines (QueueMetrics, Asternic)",
    )
    qsub = qlog.add_subparsers(dest="queue_log_command", required=True)
    export = qsub.add_parser(
        "export",
        help="write the queue_log lines of a date range",
        description="FROM and TO are local dates in the center's time zone (both included) "
        "or ISO 8601 instants with an offset (TO excluded).",
    )
    export.add_argument("--from", dest="start", required=True, metavar="FROM")
    export.add_argument("--to", dest="end", required=True, metavar="TO")
    export.add_argument(
        "--queue", action="append", default=[], help="only this queue (repeat; default: all)"
    )
    export.add_argument("--output", type=Path, help="file to write (default: stdout)")


def _user_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = sub.add_parser(
        "user",
        help="web accounts: add, disable, enable, password",
        description="A password is read from stdin when piped (first line), else generated "
        "and printed once. disable and password end the user's sessions everywhere.",
    )
    usub = user.add_subparsers(dest="user_command", required=True)
    add = usub.add_parser("add", help="create a user")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["admin", "supervisor", "agent"])
    add.add_argument("--display-name", default="")
    add.add_argument("--email", default="")
    add.add_argument(
        "--device", action="append", default=[], help="e.g. PJSIP/1001 (repeat; first: default)"
    )
    add.add_argument(
        "--queue", action="append", default=[], help="QUEUE or QUEUE:supervisor (repeat)"
    )
    for name, text in (
        ("disable", "disable a user and end their sessions"),
        ("enable", "enable a disabled user again"),
        ("password", "set a new password and end the user's sessions"),
    ):
        usub.add_parser(name, help=text).add_argument("name")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="standardiste", description=__doc__)
    parser.add_argument("--config", type=Path, help="TOML file (default: $STANDARDISTE_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True)
    sb = sub.add_parser("sandbox", help="the local Asterisk sandbox")
    sb.add_argument("action", choices=["up", "down", "status"])
    br = sub.add_parser(
        "bridge",
        help="run the AMI bridge: live model, Redis mirror, SQL history, the web's commands",
    )
    # Kept so that scripts written when the bridge also served the web keep working.
    br.add_argument("--no-web", action="store_true", help=argparse.SUPPRESS)
    sub.add_parser(
        "web",
        help="run the web app (pages, API, websockets); any number, beside a running bridge",
    )
    db = sub.add_parser("db", help="the SQL history database")
    db.add_argument("action", choices=["upgrade"])
    demo = sub.add_parser(
        "demo",
        help="run the product with demo traffic: sandbox, Redis, bridge, web app, sipp calls",
        description="Needs root (the Asterisk sandbox). Uses var/demo.sqlite3 for the history, "
        "the configured Redis or, if it does not answer, a private redis-server under "
        "var/redis. Ctrl-C stops everything it started.",
    )
    demo.add_argument("--seed", type=int, help="seed of the traffic's randomness (replayable)")
    _user_parser(sub)
    _queue_log_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load(args.config)
    except ConfigError as exc:
        print(f"standardiste: configuration error: {exc}", file=sys.stderr)
        return 2
    configure(settings.log_level)
    if args.command == "sandbox":
        from standardiste.tools.sandbox import SandboxError

        try:
            return _sandbox(settings, args.action)
        except SandboxError as exc:
            print(f"standardiste: sandbox: {exc}", file=sys.stderr)
            return 1
    if args.command == "bridge":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_run_bridge(settings))
        return 0
    if args.command == "web":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_run_web(settings))
        return 0
    if args.command == "demo":
        return asyncio.run(_run_demo(settings, args.seed))
    if args.command == "db":
        asyncio.run(_db_upgrade(settings))
        return 0
    if args.command == "user":
        return asyncio.run(_user(settings, args))
    if args.command == "queue-log":
        return asyncio.run(_queue_log_export(settings, args))
    return 2  # pragma: no cover - argparse enforces the choices


if __name__ == "__main__":
    sys.exit(main())
