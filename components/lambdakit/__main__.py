"""``python -m lambdakit``: the ``lambdakit`` command."""

from lambdakit.cli import main

raise SystemExit(main())
