"""``python -m ingest [PATH ...] [--out DIR] [--if-stale]``: build the index.

Exit status 0 on success (or when ``--if-stale`` finds nothing to do), 1 when a
source or the configuration is unusable: then one line on stderr names the file
and the problem, and the existing index is left exactly as it was.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from settings import ConfigError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders of .txt, .md, .html (default: config [index] sources)")
    parser.add_argument("--out", type=Path, help="index folder (default: config [index] dir)")
    parser.add_argument("--if-stale", action="store_true", help="only build when the index is missing, stale or damaged")
    parser.add_argument("--target-tokens", type=int, default=None, help="stop growing a chunk at this many word pieces (default: config)")
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"ingest: error: {exc}", file=sys.stderr)
        return 1
    paths = args.paths or settings.source_paths
    out = args.out or settings.index_dir

    from embedding.embedder import load_configured_embedder
    from ingest.build import build_index, stale_reasons
    from ingest.sources import SourceError

    target = args.target_tokens or settings.index.chunk_target_tokens
    if args.if_stale:
        build_settings = {"chunk_target_tokens": target, "approximate_above": settings.retrieval.approximate_above}
        reasons = stale_reasons(out, paths, settings.embedder.model, build_settings)
        if not reasons:
            print(f"ingest: index at {out} is up to date")
            return 0
        print(f"ingest: rebuilding: {reasons[0]}" + (f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""))

    try:
        embedder = load_configured_embedder(settings)
        report = build_index(paths, out, embedder, target, settings.retrieval.approximate_above)
    except (SourceError, ValueError, OSError) as exc:
        print(f"ingest: error: {exc} (the existing index was left unchanged)", file=sys.stderr)
        return 1
    print(f"ingest: {report.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
