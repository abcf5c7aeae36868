"""Local base images for the docker-compose test: no image registry is reachable here.

The compose file names its base images by variables whose defaults are the public images
(``REDIS_IMAGE``, ``POSTGRES_IMAGE``, ``PYTHON_IMAGE``, ``ASTERISK_BASE_IMAGE``). The test
passes these instead, made with ``docker import`` from Debian roots:

- ``standardiste-test/debian-base:<key>``: a debootstrapped Debian with Python (and venv),
  redis-server and PostgreSQL; it stands for python, redis and postgres at once.
- ``standardiste-test/asterisk-base:<key>``: the Asterisk sandbox's own root
  (``standardiste.tools.sandbox.build_root``, cached, shared with the other tests).

``<key>`` is a hash of what an image holds (suite, mirror, packages; the root's Asterisk
version file), so an image that exists is reused as it is and a change makes a new one.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from standardiste.tools import sandbox as sb

BASE_SUITE = "bookworm"
BASE_PACKAGES = (
    "ca-certificates", "python3", "python3-venv", "redis-server", "postgresql", "sox"
)  # fmt: skip
BASE_MARKER = "standardiste-compose-base"
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
# Bumped when the way a root is made changes (not only its inputs).
RECIPE = "1"
# Parts of the sandbox root that are state of a running sandbox, not of the image: the
# sandbox may be up while the image is made (its /proc and /dev are other file systems and
# are left out by --one-file-system).
_ASTERISK_VOLATILE = (
    "./proc",
    "./dev",
    "./sys",
    "./run/*",
    "./tmp/*",
    "./etc/asterisk/*",
    "./var/log/asterisk/*",
    "./var/lib/asterisk/astdb*",
    "./var/spool/asterisk/*",
    f"./{sb.STATE_FILE}*",
)


class ImageError(RuntimeError):
    """A base image could not be made; the message says why."""


def docker(*args: str, timeout: float = 120.0, input: bytes | None = None) -> str:
    """Run the docker CLI; return its stdout (raise ImageError with stderr on failure)."""
    proc = subprocess.run(
        ["docker", *args], capture_output=True, input=input, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise ImageError(
            f"docker {' '.join(args)} exited {proc.returncode}: "
            f"{proc.stderr.decode(errors='replace').strip()}"
        )
    return proc.stdout.decode(errors="replace")


def image_exists(name: str) -> bool:
    proc = subprocess.run(
        ["docker", "image", "inspect", name], capture_output=True, timeout=60, check=False
    )
    return proc.returncode == 0


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join((RECIPE, *parts)).encode()).hexdigest()[:12]


@contextmanager
def _locked(cache_dir: Path) -> Iterator[None]:
    """One maker of images at a time for this cache (parallel sessions share dockerd)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / "compose-images.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _import(
    root: Path, name: str, excludes: tuple[str, ...] = (), changes: tuple[str, ...] = ()
) -> None:
    """``tar -C root -c . | docker import - name`` (a tar failure fails the import)."""
    tar_cmd = [
        "tar",
        "-C",
        str(root),
        "--one-file-system",
        "--numeric-owner",
        *(f"--exclude={pattern}" for pattern in excludes),
        "-c",
        ".",
    ]
    import_cmd = ["docker", "import", *(a for c in changes for a in ("--change", c)), "-", name]
    with tempfile.TemporaryFile() as tar_err:
        with subprocess.Popen(tar_cmd, stdout=subprocess.PIPE, stderr=tar_err) as tar:
            imp = subprocess.run(
                import_cmd, stdin=tar.stdout, capture_output=True, timeout=600, check=False
            )
        tar_err.seek(0)
        tar_msg = tar_err.read().decode(errors="replace").strip()
    if tar.returncode != 0 or imp.returncode != 0:
        if imp.returncode == 0:
            subprocess.run(["docker", "rmi", name], capture_output=True, check=False)
        raise ImageError(
            f"importing {root} as {name}: tar exited {tar.returncode} ({tar_msg}), "
            f"docker import exited {imp.returncode} ({imp.stderr.decode(errors='replace')})"
        )


def debian_base(cache_dir: Path, mirror: str = sb.DEFAULT_MIRROR) -> str:
    """The Debian base image (python3 + venv, redis-server, postgresql): made once, cached.

    The machine's own extra certificate authorities (``/usr/local/share/ca-certificates``)
    are trusted in it too, as on the machine: pip and apt in the images' builds then reach
    what the machine reaches.
    """
    root_key = _key(BASE_SUITE, mirror, *BASE_PACKAGES)
    cas = sorted(p for p in HOST_CA_DIR.glob("*.crt") if p.is_file())
    key = _key(root_key, *(f"{p.name}:{hashlib.sha256(p.read_bytes()).hexdigest()}" for p in cas))
    name = f"standardiste-test/debian-base:{key}"
    if image_exists(name):
        return name
    with _locked(cache_dir):
        if image_exists(name):
            return name
        root = cache_dir / f"compose-base-root-{root_key}"
        if not (root / BASE_MARKER).is_file():
            _debootstrap(root, mirror)
        _trust(root, cas)
        # The pip of a venv made from Debian's python uses Debian's trust store only if told.
        _import(root, name, changes=("ENV LANG=C.UTF-8", f"ENV PIP_CERT={CA_BUNDLE}"))
    return name


def _trust(root: Path, cas: list[Path]) -> None:
    """Exactly ``cas`` as the root's local certificate authorities."""
    local = root / HOST_CA_DIR.relative_to("/")
    shutil.rmtree(local, ignore_errors=True)
    local.mkdir(parents=True)
    for ca in cas:
        shutil.copyfile(ca, local / ca.name)
    proc = subprocess.run(
        ["chroot", str(root), "update-ca-certificates", "--fresh"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise ImageError(f"update-ca-certificates in {root}: {proc.stdout}{proc.stderr}")


def _debootstrap(root: Path, mirror: str) -> None:
    if shutil.which("debootstrap") is None:
        raise ImageError("debootstrap is not installed (scripts/setup.sh installs it)")
    shutil.rmtree(root, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=root.name + ".tmp-", dir=root.parent))
    log = root.parent / "compose-base-debootstrap.log"
    cmd = [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(BASE_PACKAGES)}",
        BASE_SUITE,
        str(tmp),
        mirror,
    ]
    try:
        with log.open("wb") as out:
            rc = subprocess.run(
                cmd, stdout=out, stderr=subprocess.STDOUT, timeout=1200, check=False
            ).returncode
        if rc != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            raise ImageError(f"{' '.join(cmd)} exited {rc}; end of {log}:\n{tail}")
        # Keep the image small: apt's downloaded packages are not needed in it.
        shutil.rmtree(tmp / "var/cache/apt/archives", ignore_errors=True)
        (tmp / "var/cache/apt/archives/partial").mkdir(parents=True)
        (tmp / BASE_MARKER).write_text(" ".join(cmd[:-2]) + "\n")
        tmp.rename(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def asterisk_base(cache_dir: Path, mirror: str = sb.DEFAULT_MIRROR) -> str:
    """The Asterisk base image, from the sandbox's root (built first when missing)."""
    root = sb.build_root(cache_dir, mirror=mirror)
    version = (root / sb.VERSION_FILE).read_text()
    name = f"standardiste-test/asterisk-base:{_key(version)}"
    if image_exists(name):
        return name
    with _locked(cache_dir):
        if not image_exists(name):
            _import(root, name, _ASTERISK_VOLATILE)
    return name
