"""The evaluation set and `python -m eval`."""
