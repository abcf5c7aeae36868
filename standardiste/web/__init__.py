"""The dashboards' web backend (aiohttp): the ``standardiste web`` process.

``process`` (its composition root), ``app`` (the factory), ``deps`` (what it is given);
``sessions`` and ``security`` (server-side sessions, CSRF, origins, headers), ``ratelimit``
(log-in attempts), ``user_admin`` (``standardiste user``); ``figures`` and
``overview`` (what a user is shown); ``api``, ``ui_data``, ``live`` (websocket), ``health``,
``metrics``: the handlers; ``routes`` (the one registry of the JSON routes), ``endpoint``
(what a route entry is, and how a handler reads and answers through its documented models),
``schemas`` (the API's pydantic models), ``openapi`` (the document, generated from both);
``errors`` (codes to HTTP statuses, in one place); ``inputs`` (request bodies).
"""
