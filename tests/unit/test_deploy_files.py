"""The files a PBX admin installs (README "Deploy on your Asterisk", ``config/deploy/``) agree
with each other and with the product: the settings example loads and points at Debian's
paths, the AMI user is the least-privilege one, the units and the proxy serve what the
settings say, and the modules listed cover what the dialplan calls.

``tests/integration/test_deploy.py`` runs the README's steps; these checks catch a drift
between the files in the seconds of a unit test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from standardiste.config import Settings, load

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "config" / "deploy"
EXAMPLE = DEPLOY / "standardiste.toml"


def section(path: Path, name: str) -> dict[str, str]:
    """``key = value`` lines of ``[name]`` in an Asterisk config file (comments removed)."""
    values: dict[str, str] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.split(";", 1)[0].strip()
        header = re.match(r"^\[([^\]]+)\]", line)
        if header:
            current = header.group(1)
        elif current == name and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def unit(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values.setdefault(key, []).append(value)
    return values


@pytest.fixture(scope="module")
def example() -> Settings:
    return load(EXAMPLE, env={})


def test_the_settings_example_loads_and_names_debians_paths(example: Settings) -> None:
    # Every path whose default is the checkout's or the sandbox's is set to Asterisk's own.
    assert example.ami.queues_conf == Path("/etc/asterisk/queues.conf")
    assert example.asterisk.generated_dir == Path("/etc/asterisk/standardiste")
    assert example.asterisk.queue_log_path == Path("/var/log/asterisk/queue_log")
    assert example.asterisk.recordings_dir == Path("/var/spool/asterisk/monitor")
    assert example.asterisk.sounds_dir == Path("/usr/share/asterisk/sounds")
    assert example.database.buffer_path.is_absolute()
    assert example.database.url.startswith("postgresql+asyncpg://standardiste:CHANGE-ME@")
    assert example.ami.secret == "CHANGE-ME", "the README's step replaces this exact value"
    assert example.asterisk.queue_options == "", "a deployment's callers hear music on hold"
    assert example.web.cookie_secure and example.web.origins and example.web.proxies


def test_the_ami_user_is_the_least_privilege_one() -> None:
    shipped = section(DEPLOY / "asterisk" / "standardiste-manager.conf", "standardiste")
    demo = section(REPO / "config" / "asterisk" / "manager.conf", "standardiste")
    for key in ("read", "write", "deny", "permit"):
        assert shipped[key] == demo[key], key
    # Actions: never system, command or config. Events: system's (FullyBooted) are read.
    assert not set(shipped["write"].split(",")) & {"system", "command", "config", "all"}
    assert not set(shipped["read"].split(",")) & {"dialplan", "all"}, "the chatty classes"
    assert shipped["permit"] == "127.0.0.1/255.255.255.255"
    assert shipped["secret"] == "CHANGE-ME", "the README's step replaces this exact value"
    general = section(DEPLOY / "asterisk" / "standardiste-manager.conf", "general")
    assert general["bindaddr"] == "127.0.0.1" and general["enabled"] == "yes"


def test_the_units_run_the_readmes_install_with_the_example(example: Settings) -> None:
    for command in ("bridge", "web"):
        values = unit(f"standardiste-{command}.service")
        assert values["ExecStart"] == [f"/opt/standardiste/bin/standardiste {command}"]
        assert values["Environment"] == ["STANDARDISTE_CONFIG=/etc/standardiste/standardiste.toml"]
        assert values["User"] == ["standardiste"] and values["SupplementaryGroups"] == ["asterisk"]
        assert values["NoNewPrivileges"] == ["yes"] and values["ProtectSystem"] == ["strict"]
    writable = unit("standardiste-bridge.service")["ReadWritePaths"][0].split()
    assert example.asterisk.generated_dir is not None and example.asterisk.recordings_dir
    assert example.asterisk.sounds_dir is not None
    assert writable == [
        str(example.asterisk.generated_dir),
        str(example.asterisk.recordings_dir / "standardiste"),
        str(example.asterisk.sounds_dir / "standardiste" / "canned"),
    ]
    state = Path("/var/lib") / unit("standardiste-bridge.service")["StateDirectory"][0]
    assert example.database.buffer_path.parent == state
    assert "ReadWritePaths" not in unit("standardiste-web.service"), "the web writes nothing"


def test_the_proxy_serves_the_web_the_example_configures(example: Settings) -> None:
    conf = (DEPLOY / "nginx" / "standardiste.conf").read_text()
    upstream = re.search(r"upstream standardiste_web \{\s*server ([^;]+);", conf)
    assert upstream is not None and upstream.group(1) == f"{example.web.host}:{example.web.port}"
    names = set(re.findall(r"server_name ([^;]+);", conf))
    assert {f"https://{name}" for name in names} == set(example.web.origins)
    assert "127.0.0.1" in {str(n.network_address) for n in example.web.proxies}
    live = re.search(r"location = /api/v1/live \{(.*?)\}", conf, re.S)
    assert live is not None and "proxy_set_header Upgrade $http_upgrade;" in live.group(1)
    # nginx drops the server's proxy_set_header lines in a location that has its own.
    for header in ("Host", "X-Forwarded-For", "X-Forwarded-Proto"):
        assert f"proxy_set_header {header} " in live.group(1), header
    assert re.search(r"location = /metrics \{\s*return 404;", conf), "/metrics not exposed"


# What the generic dialplan calls, and the module that provides it (core: none needed).
MODULES = {
    "Queue": "app_queue", "AddQueueMember": "app_queue", "RemoveQueueMember": "app_queue",
    "PauseQueueMember": "app_queue", "UnpauseQueueMember": "app_queue", "QueueLog": "app_queue",
    "ExecIf": "app_exec",
    "Gosub": "app_stack", "Return": "app_stack", "LOCAL": "app_stack",
    "Playback": "app_playback", "UserEvent": "app_userevent",
    "MixMonitor": "app_mixmonitor", "AST_CONFIG": "func_config", "REGEX": "func_strings",
    "IF": "func_logic", "CHANNEL": "func_channel", "Dial": "app_dial",
    "AGI": "res_agi", "ChannelRedirect": "app_channelredirect",
    "CALLERID": "func_callerid", "SayDigits": "",
    "Set": "", "GotoIf": "", "Goto": "", "Hangup": "", "Answer": "", "NoOp": "", "Wait": "",
}  # fmt: skip


def test_the_modules_listed_cover_what_the_dialplan_calls() -> None:
    dialplan = (REPO / "config" / "asterisk" / "standardiste-extensions.conf").read_text()
    code = "\n".join(line.split(";", 1)[0] for line in dialplan.splitlines())
    applications = set(re.findall(r"^\s*exten\s*=>\s*[^,]+,[^,]+,(\w+)\(", code, re.M))
    applications |= set(re.findall(r"^\s*same\s*=>\s*[^,]+,(\w+)\(", code, re.M))
    functions = set(re.findall(r"\$\{(\w+)\(", code))
    used = applications | functions
    assert {"Queue", "AST_CONFIG", "MixMonitor"} <= used, "the parser still finds calls"
    unknown = used - set(MODULES)
    assert not unknown, f"add their module to standardiste-modules.conf and here: {unknown}"
    listed = set(re.findall(r"^load = (\w+)\.so", (DEPLOY / "asterisk" /
                            "standardiste-modules.conf").read_text(), re.M))  # fmt: skip
    missing = {MODULES[name] for name in used if MODULES[name]} - listed
    assert not missing, missing
    assert "res_manager_devicestate" in listed, "the bridge's DeviceStateList"


def test_the_readme_names_every_shipped_file() -> None:
    readme = (REPO / "README.md").read_text()
    for path in sorted(DEPLOY.rglob("*")):
        if path.is_file():
            assert path.name in readme, f"README 'Deploy on your Asterisk' does not name {path}"
