"""The lambdakit component plugin: `python -u __main__.py <engine-address>` serves the components over gRPC.

Pulumi runs this when a program in another language uses the package (`pulumi package add ./components`). The
schema (inputs, outputs and their docs) is inferred from the components' type annotations and docstrings.
"""

import sys
from pathlib import Path

# The plugin runs with this folder as its working directory; import the package from its parent.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi.provider.experimental import component_provider_host

from components import LambdaDashboard, LambdaLayer, LambdaService

PLUGIN_COMPONENTS = [LambdaService, LambdaLayer, LambdaDashboard]

if __name__ == "__main__":
    component_provider_host(PLUGIN_COMPONENTS, name="lambdakit", namespace="lambdakit", version="0.1.0")
