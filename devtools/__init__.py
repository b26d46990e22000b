"""What the tests and the benchmarks share: starting ``app.py`` on loopback and a lean HTTP client.

Not part of the product: nothing in the served app imports it.
"""
