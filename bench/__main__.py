"""``python -m bench latency|load|nginx|scale|memory|all [options]``.

``all`` runs every benchmark with its defaults (about 15 minutes on two cores),
carries on past one that fails, and exits non-zero if any did. Each benchmark
writes ``bench/results/NAME.json`` and ``NAME.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from types import ModuleType

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench import common, latency, load, memory, nginx, scale  # noqa: E402

BENCHMARKS: dict[str, ModuleType] = {"latency": latency, "memory": memory, "load": load, "nginx": nginx, "scale": scale}
ORDER = ("latency", "memory", "load", "nginx", "scale")  # the longest last


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    common.COMMAND[:] = ["python", "-m", "bench", *argv]
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="benchmark", required=True, metavar="{latency,load,nginx,scale,memory,all}")
    for name, module in BENCHMARKS.items():
        module.add_arguments(commands.add_parser(name, help=(module.__doc__ or "").splitlines()[0]))
    commands.add_parser("all", help="every benchmark with its defaults")
    args = parser.parse_args(argv)
    if args.benchmark != "all":
        return BENCHMARKS[args.benchmark].execute(args)

    failed = []
    for name in ORDER:
        common.COMMAND[:] = ["python", "-m", "bench", "all"]
        common.note(f"=== {name} ===")
        sub = argparse.ArgumentParser()
        BENCHMARKS[name].add_arguments(sub)
        try:
            BENCHMARKS[name].execute(sub.parse_args([]))
        except (Exception, SystemExit) as exc:  # one broken benchmark must not hide the others' figures
            failed.append(name)
            common.note(f"{name} failed: {exc}")
            if not isinstance(exc, SystemExit):
                traceback.print_exc()
    if failed:
        common.note(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
