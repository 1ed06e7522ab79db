"""Entry point the Pulumi CLI runs (``python -m pulumi.policy <engine-address> .`` in this folder)."""

from __future__ import annotations

import sys
from pathlib import Path

# The pack folder is run as a script; make `policies` importable as a package from its parent folder.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack

from policies._common import connect_engine
from policies._speedups import install as install_speedups
from policies.pack import pack_kwargs

# pulumi.policy hands the engine address as the first argument; rules send their skip notes to its log.
connect_engine(sys.argv[1] if len(sys.argv) > 1 and ":" in sys.argv[1] else None)

install_speedups()
PolicyPack(**pack_kwargs())
