"""boto3 Sessions and clients for operations, and the small Lambda API helpers they share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import boto3

_ENDPOINT = re.compile(r"^https?://")


def make_session(
    *, profile: str | None = None, region: str | None = None, endpoint_url: str | None = None
) -> boto3.session.Session:
    """A boto3 Session; with an emulator endpoint and no credentials configured, moto's test credentials."""
    if endpoint_url and not _ENDPOINT.match(endpoint_url):
        raise ValueError(f"endpoint_url must start with http:// or https://, got {endpoint_url!r}")
    session = _session(profile_name=profile, region_name=region or None)
    if endpoint_url and session.get_credentials() is None:
        # Emulators accept any credentials; botocore refuses to sign without some.
        session = _session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name=region or session.region_name or "us-east-1",
        )
    elif session.region_name is None:
        session = _session(profile_name=profile, region_name="us-east-1")
    return session


_LOADER: Any = None


def _session(**kwargs: Any) -> boto3.session.Session:
    """A boto3 Session sharing the process's botocore data loader, which caches the service models it has read:
    without it each Session reads and decodes them (JSON, tens of milliseconds per client) again."""
    import botocore.loaders
    import botocore.session

    global _LOADER
    if _LOADER is None:
        _LOADER = botocore.loaders.create_loader()
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    session = boto3.session.Session(botocore_session=core, **kwargs)
    # boto3 adds its own data folder to the loader's search path for each Session; once is enough.
    _LOADER.search_paths[:] = list(dict.fromkeys(_LOADER.search_paths))
    return session


@dataclass
class Clients:
    """The clients operations need, built from one Session and an optional endpoint (moto server, LocalStack)."""

    session: boto3.session.Session
    endpoint_url: str | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> Any:
        if service not in self._cache:
            kwargs: dict[str, Any] = {}
            if self.endpoint_url:
                kwargs["endpoint_url"] = self.endpoint_url
            self._cache[service] = self.session.client(service, **kwargs)
        return self._cache[service]

    @property
    def lambda_(self) -> Any:
        return self.client("lambda")

    @property
    def cloudwatch(self) -> Any:
        return self.client("cloudwatch")


def _paginate(lambda_client: Any, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in lambda_client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


def _function_of(name_or_arn: str) -> str:
    # A name, a partial ARN (123456789012:function:name) or a full ARN, optionally qualified.
    parts = name_or_arn.split(":")
    if "function" in parts:
        return parts[parts.index("function") + 1]
    return parts[0]


def _qualifier(arn: str) -> str:
    # arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
    parts = arn.split(":")
    return parts[7] if len(parts) > 7 else ""
