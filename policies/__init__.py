"""lambdakit's CrossGuard policy pack for AWS Lambda. Rules live in one module per area; the pack is built in
``__main__.py`` (``PolicyPack`` starts the analyzer server and blocks, so nothing here constructs it)."""

from __future__ import annotations
