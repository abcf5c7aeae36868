"""The demo PBX's configuration as an admin would have entered it: two queues.

The sandbox installs the files generated from it before Asterisk starts (so a sandbox has
the demo queues without any database), and ``standardiste demo`` stores it as the initial
configuration, which the admin pages then edit like any other.
"""

from __future__ import annotations

from standardiste.pbx.definitions import QueueDef
from standardiste.pbx.render import GeneratedFiles, render

DEMO_QUEUES = (
    QueueDef(name="sales", display_name="Sales", extension="5000"),
    QueueDef(name="support", display_name="Support", extension="5001"),
)


def demo_files(queue_options: str = "r") -> GeneratedFiles:
    return render(DEMO_QUEUES, queue_options=queue_options)


__all__ = ["DEMO_QUEUES", "demo_files"]
