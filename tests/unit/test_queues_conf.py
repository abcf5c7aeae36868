"""Wrap-up times read from queues.conf, as app_queue reads them."""

from __future__ import annotations

import shutil
from pathlib import Path

from standardiste import queues_conf
from standardiste.tools.demo_config import demo_files

REPO = Path(__file__).resolve().parents[2]


def test_the_installed_queues_conf_reads_the_generated_queues_wrapuptime(tmp_path: Path) -> None:
    """The PBX's queues.conf includes the file the bridge generates (standardiste/queues.conf):
    the reader follows it, template included."""
    shutil.copy(REPO / "config" / "asterisk" / "queues.conf", tmp_path / "queues.conf")
    (tmp_path / "standardiste").mkdir()
    (tmp_path / "standardiste" / "queues.conf").write_text(demo_files().queues)
    timings = queues_conf.parse(tmp_path / "queues.conf")
    assert timings.wrapup == {"sales": 5.0, "support": 5.0}
    assert timings.shared_lastcall is True


def test_templates_additions_includes_and_comments(tmp_path: Path) -> None:
    (tmp_path / "more.conf").write_text("[extra](base)\nwrapuptime => 7 ; arrow form\n")
    (tmp_path / "queues.conf").write_text(
        "[general]\nshared_lastcall = no\n"
        "[base](!)\nwrapuptime = 3\nstrategy = rrmemory\n"
        "[a](base)\n"
        "[b](base)\nwrapuptime = 9\n"
        ";-- a block comment\n[ghost]\nwrapuptime = 99\n--;\n"
        "[c]\n; wrapuptime = 4\n"
        "[a](+)\nwrapuptime = 2\n"
        "#include more.conf\n"
        "#tryinclude missing.conf\n"
    )
    timings = queues_conf.parse(tmp_path / "queues.conf")
    assert timings.wrapup == {"a": 2.0, "b": 9.0, "c": 0.0, "extra": 7.0}
    assert timings.shared_lastcall is False


def test_an_unreadable_file_means_no_wrapup_rather_than_no_bridge(tmp_path: Path) -> None:
    assert queues_conf.read(tmp_path / "absent.conf") == queues_conf.QueueTimings()
