"""The URN snapshot of the reference program: every resource's URN in the dev, staging and prod stacks.

Pulumi identifies a resource by its URN (stack, project, parent types, type, name): a change that alters one makes
the next `pulumi up` of a running stack replace the resource (a new function, queue or log group; the old one and its
data deleted). `tests/unit/test_urn_snapshot.py` fails when the program's URNs differ from the stored list. When a
rename is intended, give the resource `aliases` (so Pulumi moves it instead of replacing it), then refresh the
snapshot: `python -m tools.urns --write`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "tests" / "snapshots" / "reference-urns.json"
STACKS = ("dev", "staging", "prod")


def current_urns() -> dict[str, list[str]]:
    from lambdakit.program import run_program

    return {stack: sorted(r.urn for r in run_program(ROOT, stack).registrations) for stack in STACKS}


def stored_urns() -> dict[str, list[str]]:
    return dict(json.loads(SNAPSHOT.read_text()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="store the current URNs as the snapshot")
    args = parser.parse_args(argv)
    urns = current_urns()
    if args.write:
        SNAPSHOT.write_text(json.dumps(urns, indent=1) + "\n")
        print(f"wrote {SNAPSHOT} ({', '.join(f'{s}: {len(u)}' for s, u in urns.items())} URNs)")
        return 0
    stale = [s for s in STACKS if stored_urns().get(s) != urns[s]]
    if stale:
        print(f"URNs changed in {', '.join(stale)}; see tests/unit/test_urn_snapshot.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
