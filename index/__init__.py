"""The on-disk index (format, checks, loading) and hybrid retrieval over it."""
