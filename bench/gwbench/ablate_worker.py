"""clawgate with one of its per-request costs switched off, to measure what that cost is (gwbench.ablate).

    python -m gwbench.ablate_worker --off log,records -- gateway run --port N --quiet

Bench only: the switches patch clawgate in this process before the CLI runs; clawgate itself has no such knobs
(every try is recorded, every request logged). `metrics` is switched off through the config instead
(observability.metrics.enabled), as a user would.

- `log`: the one `request` event per answered request is not written (logs.event).
- `records`: tries are not written to the store (the AttemptRecord is not made either); metrics, spend and the
  clients' meter still see every try.
- `switch`: the GIL switch interval stays Python's default (5 ms) instead of the 0.5 ms the gateway sets
  (gateway/server.py): what the shorter interval costs in throughput under load.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

SWITCHES = ("log", "records", "switch")


def switch_off(names: list[str]) -> None:
    if "log" in names:
        from clawgate import logs

        event = logs.event

        def no_request_log(name: str, *args: Any, **kw: Any) -> None:
            if name != "request":
                event(name, *args, **kw)

        logs.event = no_request_log  # type: ignore[assignment]
    if "records" in names:
        from clawgate.call import records

        init = records.Recorder.__init__

        def no_store(self: records.Recorder, store: Any) -> None:
            init(self, None)

        records.Recorder.__init__ = no_store  # type: ignore[method-assign]
    if "switch" in names:
        sys.setswitchinterval = lambda _interval: None  # type: ignore[assignment]


def worker_args(off: str, port: int) -> list[str]:
    """`-m gwbench.ablate_worker` arguments that run `gateway run` on `port` with the costs `off` switched off."""
    return [
        "-m",
        "gwbench.ablate_worker",
        "--off",
        off,
        "--",
        "gateway",
        "run",
        "--port",
        str(port),
        "--quiet",
    ]


def main() -> None:
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    p = argparse.ArgumentParser(prog="gwbench.ablate_worker")
    p.add_argument("--off", default="", help=f"comma-separated: {', '.join(SWITCHES)}")
    a = p.parse_args(argv[:cut])
    off = [x for x in a.off.split(",") if x]
    unknown = set(off) - set(SWITCHES)
    if unknown:
        raise SystemExit(f"unknown switch(es): {', '.join(sorted(unknown))}; known: {', '.join(SWITCHES)}")
    switch_off(off)
    from clawgate.cli.main import main as cli

    sys.argv = ["clawgate", *argv[cut + 1 :]]
    cli()


if __name__ == "__main__":
    main()
