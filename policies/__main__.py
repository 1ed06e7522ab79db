"""Entry point the Pulumi CLI runs (``python -m pulumi.policy <engine-address> .`` in the pack's folder).

The pack is a package whose modules import each other relatively. Run from a folder of any name (the repository's
``policies/``, a copy, the folder ``pulumi policy publish`` uploads, or ``lambdakit policy-pack`` in site-packages),
this file loads that folder as the package ``lambdakit_policy_pack`` and builds the pack from it. The folder itself
comes off ``sys.path`` first, so its modules (``iam``, ``stack``, ...) cannot shadow libraries of the same name.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
PACKAGE = "lambdakit_policy_pack"


def _load_package() -> None:
    spec = importlib.util.spec_from_file_location(PACKAGE, HERE / "__init__.py", submodule_search_locations=[str(HERE)])
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the policy pack from {HERE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    spec.loader.exec_module(module)


_load_package()

from pulumi_policy import PolicyPack  # noqa: E402

_compat = importlib.import_module(f"{PACKAGE}._compat")
try:
    # pulumi-policy in the tested range and its internals present (the speedups below use them).
    _compat.check_pulumi_policy()
except _compat.UnsupportedDependencyError as exc:
    print(f"lambdakit policy pack: error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None
_common = importlib.import_module(f"{PACKAGE}._common")
_speedups = importlib.import_module(f"{PACKAGE}._speedups")
pack = importlib.import_module(f"{PACKAGE}.pack")

# pulumi.policy hands the engine address as the first argument; rules send their skip notes to its log.
_common.connect_engine(sys.argv[1] if len(sys.argv) > 1 and ":" in sys.argv[1] else None)

_speedups.install()
# After the speedups: wraps whichever Analyze/AnalyzeStack is installed, so no diagnostic carries a secret.
importlib.import_module(f"{PACKAGE}._redact").install()
PolicyPack(**pack.pack_kwargs())
