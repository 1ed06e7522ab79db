"""``python -m lambdakit``: the ``lambdakit`` command."""

from lambdakit.cli import entry

entry()
