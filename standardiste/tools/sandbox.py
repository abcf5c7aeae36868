"""A real Asterisk for development and tests: a Debian sid root with Asterisk, run in a chroot.

No Docker here: ``build_root`` debootstraps (once, cached) a minimal Debian sid with the
``asterisk`` package; ``up`` installs exactly our ``config/asterisk/`` files into it, bind-mounts
/proc and /dev, starts ``asterisk -F`` inside the chroot (as root, without ``-U``) and waits for
FullyBooted. Asterisk shares the host's network namespace: AMI and SIP listen on 127.0.0.1.

All functions are synchronous and need root (chroot, mount). Files written into the root:

- ``standardiste-VERSION``: the Asterisk package version the root was built with;
- ``standardiste-sandbox.json``: the state of the running sandbox (pid, addresses);
- ``run/asterisk/asterisk.pid``: Asterisk's own pidfile.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

DEFAULT_MIRROR = "http://deb.debian.org/debian"
from standardiste.config import SandboxSettings  # noqa: E402 - the root's place is a setting
from standardiste.tools.demo_config import demo_files  # noqa: E402

ROOT_NAME = "asterisk-root"
VERSION_FILE = "standardiste-VERSION"
STATE_FILE = "standardiste-sandbox.json"
ASTERISK = "/usr/sbin/asterisk"
# Directories Asterisk writes to; chowned to root because it runs as root without -U.
OWNED_DIRS = (
    "etc/asterisk",
    "var/lib/asterisk",
    "var/log/asterisk",
    "var/spool/asterisk",
    "run/asterisk",
    "var/cache/asterisk",
)
_MOUNTS = ("proc", "dev")
_LOG_TAIL_LINES = 30


class SandboxError(RuntimeError):
    """The sandbox could not be built, started or stopped; the message says why."""


@dataclass(frozen=True)
class SandboxInfo:
    """Where a running sandbox listens."""

    root: Path
    pid: int
    version: str
    ami_host: str
    ami_port: int
    sip_host: str
    sip_port: int
    boot_seconds: float  # start of asterisk -> FullyBooted (0.0 if it was already running)

    def describe(self) -> str:
        return (
            f"Asterisk {self.version} running (pid {self.pid}, root {self.root})\n"
            f"  AMI  {self.ami_host}:{self.ami_port}\n"
            f"  SIP  {self.sip_host}:{self.sip_port} (udp)\n"
            f"  boot {self.boot_seconds:.2f} s to FullyBooted"
        )


@dataclass(frozen=True)
class SandboxStatus:
    """``status()`` result; ports are those recorded by the last ``up``."""

    root: Path
    running: bool
    pid: int | None
    version: str | None
    ami_host: str | None
    ami_port: int | None
    sip_host: str | None
    sip_port: int | None

    def describe(self) -> str:
        """Human-readable status, for ``standardiste sandbox status``."""
        if self.version is None:
            return f"Asterisk sandbox: not built (no {VERSION_FILE} in {self.root})"
        if not self.running:
            return f"Asterisk {self.version}: down (root {self.root})"
        return (
            f"Asterisk {self.version} running (pid {self.pid}, root {self.root})\n"
            f"  AMI  {self.ami_host}:{self.ami_port}\n"
            f"  SIP  {self.sip_host}:{self.sip_port} (udp)"
        )


@dataclass(frozen=True)
class _Listen:
    """Addresses recorded by ``up`` in STATE_FILE."""

    ami_host: str
    ami_port: int
    sip_host: str
    sip_port: int


# --------------------------------------------------------------------------------------------
# Building the root
# --------------------------------------------------------------------------------------------


def root_path(cache_dir: Path) -> Path:
    """Where ``build_root`` keeps the root: ``<cache_dir>/asterisk-root`` (may not exist)."""
    return SandboxSettings(cache_dir=cache_dir).root


def build_root(cache_dir: Path, mirror: str = DEFAULT_MIRROR, suite: str = "sid") -> Path:
    """Return ``<cache_dir>/asterisk-root``, debootstrapping it first when it is missing.

    A root is reused when it holds a ``standardiste-VERSION`` file. Otherwise debootstrap runs
    into a temporary directory next to it, which is renamed into place only on success.
    """
    cache_dir = cache_dir.expanduser().resolve()
    root = root_path(cache_dir)
    if (root / VERSION_FILE).is_file():
        return root
    cache_dir.mkdir(parents=True, exist_ok=True)
    if shutil.which("debootstrap") is None:
        raise SandboxError("debootstrap is not installed (apt-get install debootstrap)")
    if root.exists():
        # Left over without a VERSION file (interrupted or foreign): not trusted, replaced.
        _safe_rmtree(root)
    tmp = Path(tempfile.mkdtemp(prefix=f"{ROOT_NAME}.tmp-", dir=cache_dir))
    log = cache_dir / "debootstrap.log"
    cmd = [
        "debootstrap",
        "--variant=minbase",
        "--include=asterisk,asterisk-modules",
        suite,
        str(tmp),
        mirror,
    ]
    try:
        with log.open("wb") as out:
            rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
        if rc != 0:
            raise SandboxError(
                f"debootstrap failed: {' '.join(cmd)} exited {rc}; last lines of {log}:\n"
                + _tail(log)
            )
        if not (tmp / ASTERISK.lstrip("/")).is_file():
            raise SandboxError(f"debootstrap into {tmp} succeeded but {ASTERISK} is missing")
        _write_version(tmp, mirror, suite)
        _umount_under(tmp)
        os.rename(tmp, root)
    except BaseException:
        _umount_under(tmp)
        _safe_rmtree(tmp)
        raise
    return root


def _write_version(root: Path, mirror: str, suite: str) -> None:
    proc = subprocess.run(
        ["chroot", str(root), "dpkg-query", "-W", "-f=${Version}", "asterisk"],
        capture_output=True,
        text=True,
        check=False,
    )
    version = proc.stdout.strip()
    if proc.returncode != 0 or not version:
        raise SandboxError(
            f"dpkg-query -W asterisk in {root} exited {proc.returncode}: {proc.stderr.strip()}"
        )
    built = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    (root / VERSION_FILE).write_text(
        f"{version}\n# asterisk package version; suite={suite} mirror={mirror} built={built}\n"
    )


def read_version(root: Path) -> str | None:
    """The Asterisk package version recorded in ``root``, or None."""
    try:
        return (root / VERSION_FILE).read_text().splitlines()[0].strip() or None
    except (OSError, IndexError):
        return None


# --------------------------------------------------------------------------------------------
# Running it
# --------------------------------------------------------------------------------------------


def up(
    root: Path,
    config_dir: Path,
    ami_port: int = 5038,
    sip_port: int = 5060,
    *,
    reset_state: bool = True,
    timeout_s: float = 30.0,
    generated: Mapping[str, str] | None = None,
) -> SandboxInfo:
    """Install our config into ``root``, start Asterisk and wait for FullyBooted.

    ``generated``: the files of etc/asterisk/standardiste (what the bridge generates from the
    stored configuration); None: the demo configuration's (``tools.demo_config``), so a
    sandbox has the demo queues before any bridge ran.

    Idempotent: when Asterisk already runs in ``root``, returns its info unchanged (the config
    is not reinstalled). ``reset_state`` (only applied when starting) deletes the astdb, so no
    persistent queue member of a previous run comes back.
    """
    root = root.resolve()
    pid = _running_pid(root)
    if pid is not None:
        return start(root, timeout_s=timeout_s)
    if read_version(root) is None:
        raise SandboxError(f"{root} is not a built sandbox root (no {VERSION_FILE}); build_root()")
    install_config(root, config_dir, ami_port=ami_port, sip_port=sip_port)
    install_generated(root, demo_files().by_name() if generated is None else generated)
    if reset_state:
        for name in ("astdb.sqlite3", "astdb.sqlite3-journal"):
            (root / "var/lib/asterisk" / name).unlink(missing_ok=True)
    _write_state(root, _Listen("127.0.0.1", ami_port, "127.0.0.1", sip_port))
    return start(root, timeout_s=timeout_s)


def install_config(
    root: Path, config_dir: Path, ami_port: int = 5038, sip_port: int = 5060
) -> None:
    """Replace ``root``/etc/asterisk with exactly the files of ``config_dir``.

    The AMI port (manager.conf ``port``) and SIP port (pjsip.conf ``bind``) are rewritten when
    they differ from the files' values.
    """
    config_dir = config_dir.resolve()
    files = sorted(p for p in config_dir.iterdir() if p.is_file() and p.suffix == ".conf")
    if not any(p.name == "asterisk.conf" for p in files):
        raise SandboxError(f"{config_dir} has no asterisk.conf: not an Asterisk config dir")
    etc = root / "etc/asterisk"
    if etc.exists():
        shutil.rmtree(etc)
    etc.mkdir(parents=True)
    for src in files:
        text = src.read_text()
        if src.name == "manager.conf":
            text = _sub_once(text, r"(?m)^(port\s*=\s*)\d+", rf"\g<1>{ami_port}", src)
        elif src.name == "pjsip.conf":
            text = _sub_once(text, r"(?m)^(bind\s*=\s*127\.0\.0\.1:)\d+", rf"\g<1>{sip_port}", src)
        (etc / src.name).write_text(text)


def install_generated(root: Path, files: Mapping[str, str]) -> None:
    """Write the generated configuration files into ``root``/etc/asterisk/standardiste."""
    target = root / "etc/asterisk/standardiste"
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.conf"):
        old.unlink()
    for name, text in files.items():
        (target / name).write_text(text)


def start(root: Path, *, timeout_s: float = 30.0) -> SandboxInfo:
    """Start Asterisk with the already-installed config and wait for FullyBooted.

    Returns the running info if it already runs. Used after ``kill9`` to simulate a restart
    (the astdb, hence persistent queue members, is kept).
    """
    root = root.resolve()
    state = _read_state(root)
    if state is None:
        raise SandboxError(f"{root} was never brought up (no {STATE_FILE}); call up() first")
    pid = _running_pid(root)
    t0 = time.monotonic()
    started = pid is None
    if pid is None:
        _prepare(root)
        log = root / "var/log/asterisk/standardiste-start.log"
        with log.open("wb") as out:
            proc = subprocess.run(
                ["chroot", str(root), ASTERISK, "-F", "-n"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
                timeout=timeout_s,
            )
        if proc.returncode != 0:
            raise SandboxError(
                f"chroot {root} {ASTERISK} -F exited {proc.returncode}:\n{_tail(log)}"
            )
        _wait_fully_booted(root, deadline=t0 + timeout_s)
        pid = _running_pid(root)
        if pid is None:
            raise SandboxError(f"asterisk booted but its pidfile in {root}/run/asterisk is wrong")
    boot = time.monotonic() - t0 if started else 0.0
    return SandboxInfo(
        root=root,
        pid=pid,
        version=read_version(root) or "unknown",
        ami_host=state.ami_host,
        ami_port=state.ami_port,
        sip_host=state.sip_host,
        sip_port=state.sip_port,
        boot_seconds=boot,
    )


def kill9(root: Path, *, timeout_s: float = 5.0) -> int | None:
    """SIGKILL the sandbox's Asterisk (crash test). Returns the killed pid, None if not running."""
    root = root.resolve()
    pid = _running_pid(root)
    if pid is None:
        return None
    os.kill(pid, signal.SIGKILL)
    _wait_gone(root, pid, timeout_s)
    return pid


def down(root: Path, *, timeout_s: float = 10.0) -> None:
    """Stop Asterisk (gracefully, then SIGTERM, then SIGKILL) and undo the mounts.

    No error when it is not running.
    """
    root = root.resolve()
    pid = _running_pid(root)
    if pid is not None:
        subprocess.run(
            ["chroot", str(root), ASTERISK, "-rx", "core stop now"],
            capture_output=True,
            check=False,
            timeout=timeout_s,
        )
        if not _wait_gone(root, pid, timeout_s / 2, raise_=False):
            _signal(pid, signal.SIGTERM)
            if not _wait_gone(root, pid, timeout_s / 2, raise_=False):
                _signal(pid, signal.SIGKILL)
                _wait_gone(root, pid, 5.0)
    _umount_under(root)


def status(root: Path) -> SandboxStatus:
    """Is Asterisk running in ``root``, with which pid and version, listening where."""
    root = root.resolve()
    pid = _running_pid(root)
    state = _read_state(root)
    return SandboxStatus(
        root=root,
        running=pid is not None,
        pid=pid,
        version=read_version(root),
        ami_host=state.ami_host if state else None,
        ami_port=state.ami_port if state else None,
        sip_host=state.sip_host if state else None,
        sip_port=state.sip_port if state else None,
    )


def cli(root: Path, command: str, *, timeout_s: float = 10.0) -> str:
    """Run an Asterisk CLI command in the running sandbox (``asterisk -rx``); return its output."""
    proc = subprocess.run(
        ["chroot", str(root.resolve()), ASTERISK, "-rx", command],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout_s,
    )
    if proc.returncode != 0:
        raise SandboxError(f"asterisk -rx {command!r} exited {proc.returncode}: {proc.stderr}")
    return proc.stdout


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _prepare(root: Path) -> None:
    """Mount /proc and /dev (idempotent) and make Asterisk's directories root-owned."""
    # A Debian root's "/" is 0755; the root was debootstrapped into a mkdtemp (0700), which
    # only root could enter: the users of the root (asterisk, a service's) could run nothing.
    root.chmod(0o755)
    for name in OWNED_DIRS:
        (root / name).mkdir(parents=True, exist_ok=True)
    mounted = _mountpoints()
    for name in _MOUNTS:
        target = root / name
        target.mkdir(exist_ok=True)
        if str(target) not in mounted:
            _run(["mount", "--bind", f"/{name}", str(target)])
    for name in OWNED_DIRS:
        _chown_tree(root / name)


def _chown_tree(path: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(path):
        for name in (dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)):
            st = os.lstat(name)
            if st.st_uid != 0 or st.st_gid != 0:
                os.lchown(name, 0, 0)


def _wait_fully_booted(root: Path, deadline: float) -> None:
    """Poll until the control socket answers, then block on ``core waitfullybooted``."""
    ctl = root / "run/asterisk/asterisk.ctl"
    last = ""
    while time.monotonic() < deadline:
        if ctl.exists():
            remaining = max(0.5, deadline - time.monotonic())
            try:
                proc = subprocess.run(
                    ["chroot", str(root), ASTERISK, "-rx", "core waitfullybooted"],
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=remaining,
                )
            except subprocess.TimeoutExpired:
                break
            if proc.returncode == 0 and "fully booted" in proc.stdout.lower():
                return
            last = (proc.stdout + proc.stderr).strip()
        time.sleep(0.02)
    log = root / "var/log/asterisk/messages.log"
    raise SandboxError(
        f"asterisk in {root} did not reach FullyBooted in time ({last or 'no control socket'});"
        f" last lines of {log}:\n{_tail(log)}"
    )


def _running_pid(root: Path) -> int | None:
    """The pid from Asterisk's pidfile if that process is a live asterisk chrooted in ``root``."""
    try:
        pid = int((root / "run/asterisk/asterisk.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _is_our_asterisk(root, pid) else None


def _is_our_asterisk(root: Path, pid: int) -> bool:
    proc = Path(f"/proc/{pid}")
    try:
        if os.readlink(proc / "root") != str(root):
            return False
        stat = (proc / "stat").read_text()
    except OSError:
        return False
    # "<pid> (<comm>) <state> ...": a zombie (Z) or dead (X) process is not running.
    comm = stat[stat.index("(") + 1 : stat.rindex(")")]
    state = stat[stat.rindex(")") + 2 :].split(" ", 1)[0]
    return comm == "asterisk" and state not in ("Z", "X")


def _wait_gone(root: Path, pid: int, timeout_s: float, *, raise_: bool = True) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _is_our_asterisk(root, pid):
            return True
        time.sleep(0.02)
    if raise_:
        raise SandboxError(f"asterisk pid {pid} in {root} did not exit within {timeout_s} s")
    return False


def _signal(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _mountpoints() -> list[str]:
    """Mount points of this mount namespace, from /proc/self/mountinfo (octal escapes decoded)."""
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            raw = line.split(" ")[4]
            points.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), raw))
    return points


def _umount_under(path: Path) -> None:
    """Unmount everything mounted at or below ``path``, deepest first (lazily if busy)."""
    prefix = str(path.resolve())
    targets = [p for p in _mountpoints() if p == prefix or p.startswith(prefix + "/")]
    for target in sorted(set(targets), key=len, reverse=True):
        if subprocess.run(["umount", target], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "-l", target], capture_output=True, check=False)
    left = [p for p in _mountpoints() if p == prefix or p.startswith(prefix + "/")]
    if left:
        raise SandboxError(f"could not unmount {', '.join(left)}")


def _safe_rmtree(path: Path) -> None:
    """rmtree that refuses to descend into mounts (a bind-mounted /dev must never be wiped)."""
    if not path.exists():
        return
    _umount_under(path)
    shutil.rmtree(path)


def _sub_once(text: str, pattern: str, repl: str, src: Path) -> str:
    new, count = re.subn(pattern, repl, text, count=1)
    if count != 1:
        raise SandboxError(f"{src}: no line matching {pattern!r} to set the port")
    return new


def _read_state(root: Path) -> _Listen | None:
    try:
        data = json.loads((root / STATE_FILE).read_text())
        return _Listen(
            ami_host=str(data["ami_host"]),
            ami_port=int(data["ami_port"]),
            sip_host=str(data["sip_host"]),
            sip_port=int(data["sip_port"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_state(root: Path, state: _Listen) -> None:
    tmp = root / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2) + "\n")
    os.replace(tmp, root / STATE_FILE)


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SandboxError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()}")


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def info_dict(info: SandboxInfo | SandboxStatus) -> dict[str, object]:
    """JSON-friendly dict of an info/status (for the CLI)."""
    data = asdict(info)
    data["root"] = str(data["root"])
    return data
