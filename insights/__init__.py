"""What the clinic sees: one event per reply, stored off the request path, counted for the /clinic page.

- ``events``: the two records (a reply served, a vote) and how they are built from an ``Answer``;
- ``redact``: what is taken out of a patient's words before ``[privacy]`` lets any be kept;
- ``db``: SQLite or PostgreSQL, and the schema's migrations (``insights/migrations/*.sql``);
- ``recorder``: the bounded queue and the writer thread (drops and counts, never waits);
- ``store``: writing a batch, and the retention purge;
- ``summary``: the figures for a period (the page, ``/clinic/api/summary``, the CSV, ``python -m insights``).

It reads ``contracts`` and ``settings`` only: the replies come to it, it never asks the model.
"""
