"""The components served to other Pulumi languages (``components/__main__.py`` is the host Pulumi starts)."""

from __future__ import annotations

import sys
from typing import Any

from ._pulumi_compat import ComponentProvider, PropertyDefinition, PropertyType
from ._version import __version__
from .dashboard import LambdaDashboard
from .layer import LambdaLayer
from .service import LambdaService

#: Package name and namespace of the Pulumi plugin: type tokens are ``lambdakit:index:<ClassName>``.
PACKAGE_NAME = "lambdakit"
PLUGIN_COMPONENTS = [LambdaService, LambdaLayer, LambdaDashboard]


class _ComponentProvider(ComponentProvider):
    """Pulumi's component provider, with integer inputs handed to the components as ``int``.

    Numbers arrive over gRPC as floats (``memorySize: 512`` is ``512.0``). The SDK means to convert schema integers
    back, but its ``map_input_properties`` (pulumi 3.272) overwrites the converted value with the float, and the
    components refuse ``512.0`` where an integer is required. Whole floats of integer properties become ``int`` here,
    at every nesting level (the SDK recurses through this method); anything else is left for the components to reject.
    """

    def map_input_properties(
        self,
        inputs: Any,
        properties: dict[str, PropertyDefinition],
        mapping: dict[str, str],
        component_name: str,
        property_path: str,
    ) -> Any:
        mapped: dict[str, Any] = dict(
            super().map_input_properties(inputs, properties, mapping, component_name, property_path)
        )
        for schema_name, prop in properties.items():
            py_name = mapping[schema_name]
            value = mapped.get(py_name)
            if prop.type == PropertyType.INTEGER and isinstance(value, float) and value.is_integer():
                mapped[py_name] = int(value)
        return mapped


def serve() -> None:
    """Serve the components over gRPC as the Pulumi CLI expects (prints the port, then blocks).

    What ``pulumi.provider.experimental.component_provider_host`` does, with :class:`_ComponentProvider`.
    """
    from pulumi.provider import main

    main(_ComponentProvider(PLUGIN_COMPONENTS, PACKAGE_NAME, PACKAGE_NAME, __version__), sys.argv[1:])
