"""The lambdakit component plugin: `python -u __main__.py <engine-address>` serves the components over gRPC.

Pulumi runs this from this folder when a program in another language uses the package
(`pulumi package add <git URL>/components@<tag>` or `pulumi package add ./components`). The schema (inputs, outputs
and their docs) is inferred from the components' type annotations and docstrings. Python puts this folder first on
sys.path, where the only package is `lambdakit` itself, so nothing here can shadow a library.
"""

import sys

from lambdakit.policies._compat import UnsupportedDependencyError

try:
    from lambdakit.plugin import serve
except UnsupportedDependencyError as exc:  # the installed pulumi is not one lambdakit is tested with
    print(f"lambdakit plugin: error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None

if __name__ == "__main__":
    serve()
