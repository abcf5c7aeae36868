"""The dashboards' web backend (aiohttp), served in the bridge's process.

``app`` (the factory), ``deps`` (what it is given), ``settings``; ``accounts`` and ``models``
(users, devices, queue roles); ``security`` (sessions, CSRF, origins, headers),
``ratelimit`` (log-in attempts); ``permissions`` (who sees and does what); ``figures`` and
``overview`` (what a user is shown); ``api``, ``live`` (websocket), ``health``, ``openapi``;
``errors`` (codes to HTTP statuses, in one place); ``inputs`` (request bodies).
"""
