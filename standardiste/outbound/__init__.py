"""Outbound: campaigns, their contacts and attempts, do-not-call lists, the dial audit and the
callback requests — the SQL side (``tables``, ``store``), the CSV import and the dialer's
I/O. The decisions (schedules, retries, pacing) are the pure ``standardiste.dialer``."""
