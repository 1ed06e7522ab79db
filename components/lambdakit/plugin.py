"""The components served to other Pulumi languages (``components/__main__.py`` is the host Pulumi starts)."""

from __future__ import annotations

from ._version import __version__
from .dashboard import LambdaDashboard
from .layer import LambdaLayer
from .service import LambdaService

#: Package name and namespace of the Pulumi plugin: type tokens are ``lambdakit:index:<ClassName>``.
PACKAGE_NAME = "lambdakit"
PLUGIN_COMPONENTS = [LambdaService, LambdaLayer, LambdaDashboard]


def serve() -> None:
    """Serve the components over gRPC as the Pulumi CLI expects (prints the port, then blocks)."""
    from pulumi.provider.experimental import component_provider_host

    component_provider_host(PLUGIN_COMPONENTS, name=PACKAGE_NAME, namespace=PACKAGE_NAME, version=__version__)
