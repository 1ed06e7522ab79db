"""Day-2 operations on a stack's Lambda services with boto3: invoke an alias, prune old versions.

Everything here takes boto3 clients (or a Session), so the same code runs against AWS, a moto server
(``endpoint_url="http://127.0.0.1:5000"``) or in-process moto (``moto.mock_aws``). A service is found by its
``LambdaService`` name from what the component itself records, with nothing exported for the tools:

- in AWS or an emulator, by the tags the component puts on every function (``lambdakit:service``,
  ``lambdakit:stack``, ``lambdakit:project``): :func:`find_services`;
- in a Pulumi state file (``pulumi stack export``) or the Automation API's deployment, from the component's
  registered outputs: :func:`services_from_state`;
- in the sandbox's JSON report, or in stack outputs that export a ``services`` object: :func:`load_services_file`.

The code is split by task: :mod:`.services` (finding services), :mod:`.invoke`, :mod:`.prune`, :mod:`.clients`
(Sessions and clients) and :mod:`.errors`; every public name is importable from ``lambdakit.ops`` as before.
"""

from __future__ import annotations

from .clients import Clients, make_session
from .errors import (
    AliasNotFoundError,
    FunctionNotFoundError,
    OpsError,
    PermissionDeniedError,
    PruneRefusedError,
    ServiceNotFoundError,
)
from .invoke import (
    INVOCATION_TYPES,
    InvocationType,
    InvokeResult,
    check_target,
    decode_log_tail,
    decode_payload,
    invoke,
)
from .prune import DEFAULT_KEEP, PruneReport, plan_prune, prune_versions, versions_in_use
from .services import (
    PROJECT_TAG,
    SERVICE_TAG,
    SERVICE_TYPE,
    STACK_TAG,
    ServiceRef,
    find_service,
    find_services,
    load_outputs_file,
    load_services,
    load_services_file,
    service_from_component,
    services_from_state,
)

__all__ = [
    "DEFAULT_KEEP",
    "INVOCATION_TYPES",
    "PROJECT_TAG",
    "SERVICE_TAG",
    "SERVICE_TYPE",
    "STACK_TAG",
    "AliasNotFoundError",
    "Clients",
    "FunctionNotFoundError",
    "InvocationType",
    "InvokeResult",
    "OpsError",
    "PermissionDeniedError",
    "PruneRefusedError",
    "PruneReport",
    "ServiceNotFoundError",
    "ServiceRef",
    "check_target",
    "decode_log_tail",
    "decode_payload",
    "find_service",
    "find_services",
    "invoke",
    "load_outputs_file",
    "load_services",
    "load_services_file",
    "make_session",
    "plan_prune",
    "prune_versions",
    "service_from_component",
    "services_from_state",
    "versions_in_use",
]
