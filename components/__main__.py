"""The lambdakit component plugin: `python -u __main__.py <engine-address>` serves the components over gRPC.

Pulumi runs this when a program in another language uses the package (`pulumi package add ./components`). The
schema (inputs, outputs and their docs) is inferred from the components' type annotations and docstrings.
"""

import sys
from pathlib import Path

# Pulumi runs the plugin as a script from this folder, which puts the folder itself first on sys.path: its modules
# would then shadow libraries of the same name (components/packaging.py vs the `packaging` library that pulumi imports).
# Drop it and import the package from its parent instead.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from pulumi.provider.experimental import component_provider_host  # noqa: E402

from components import LambdaDashboard, LambdaLayer, LambdaService  # noqa: E402

PLUGIN_COMPONENTS = [LambdaService, LambdaLayer, LambdaDashboard]

if __name__ == "__main__":
    component_provider_host(PLUGIN_COMPONENTS, name="lambdakit", namespace="lambdakit", version="0.1.0")
