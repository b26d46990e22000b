"""The sentence embedder: passages at ingest, questions at answer time, never loaded from the network.

``embedder.Embedder`` is the full sentence-transformers model (ingest, tests,
the torch fallback); ``onnx_queries`` runs an export of the same weights for
questions, so the server needs no torch; ``query_batcher`` lets concurrent
questions share model calls. Ingest, the index and safety all use the vectors
it makes; nothing here knows what the vectors are for.
"""
