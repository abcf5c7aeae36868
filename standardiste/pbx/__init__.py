"""The PBX configuration the admin manages: queues, skills, pause reasons, role permissions.

- :mod:`definitions` — the typed, validated settings (pure);
- :mod:`skills` — skill levels as app_queue penalties (pure);
- :mod:`render` — the generated Asterisk files (pure text);
- :mod:`tables` / :mod:`store` — the stored configuration in SQL, with its audit log;
- :mod:`applier` — makes the running Asterisk match it (generated include + ``QueueReload``,
  ``QueuePenalty``), in the bridge process.
"""
