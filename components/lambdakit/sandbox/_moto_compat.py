"""Every part of moto's internals the sandbox uses, checked when a sandbox (or ``lambdakit local``'s server) starts.

The sandbox replaces methods of moto's Lambda backend and responses (:mod:`.moto_patches`: invoke,
event source mappings, DynamoDB stream deliveries, event invoke configs, the function configuration), reads its
backends directly (Lambda, Logs, SQS, SNS, DynamoDB) and its models' attributes (a function's code, runtime and
environment; an alias's routing; a queue's event source mappings), and resets moto's state. These change between
moto releases without notice, so :func:`check` verifies that the installed moto is in :data:`MOTO`'s range (else one
line saying what to pin; ``LAMBDAKIT_ALLOW_UNTESTED_VERSIONS=1`` makes it a warning) and that each of them is there
(else an error naming it). pyproject.toml's ``sandbox`` extra declares the same range (a unit test compares them).
"""

from __future__ import annotations

import importlib
from typing import Any

from lambdakit.policies._compat import (
    Supported,
    UnsupportedDependencyError,
    check_version,
    require,
    require_instance_attributes,
)

MOTO = Supported("moto", "5.2.5", "5.3", "lambdakit's sandbox (it patches moto's Lambda emulation)")

#: Module -> the names the sandbox imports or reads from it.
INTERNALS: dict[str, tuple[str, ...]] = {
    "moto.core.config": ("default_user_config",),
    "moto.moto_api._internal.models": ("moto_api_backend.reset",),
    "moto.moto_server.threaded_moto_server": ("ThreadedMotoServer.start", "ThreadedMotoServer.get_host_and_port"),
    "moto.awslambda.utils": ("get_backend",),
    "moto.awslambda.exceptions": ("InvalidParameterValueException",),
    "moto.awslambda.models": (
        "LambdaBackend.get_function",
        "LambdaBackend.list_aliases",
        "LambdaBackend.layers_versions_by_arn",
    ),
    "moto.logs.models": ("logs_backends",),
    "moto.sqs.models": ("sqs_backends",),
    "moto.sns.models": ("sns_backends",),
    "moto.dynamodb.models": ("dynamodb_backends",),
    "moto.efs.models": ("efs_backends",),
}

#: Methods the sandbox replaces while it runs: each must be defined on the class itself (the patch saves and restores
#: the class's own attribute).
PATCHED: dict[str, dict[str, tuple[str, ...]]] = {
    "moto.awslambda.models": {
        "LambdaBackend": ("invoke", "create_event_source_mapping", "send_dynamodb_items", "send_log_event"),
        "LambdaFunction": ("invoke", "get_configuration"),
    },
    "moto.awslambda_simple.models": {"LambdaSimpleBackend": ("invoke",)},
    "moto.awslambda.responses": {
        "LambdaResponse": (
            "invoke",
            "put_function_event_invoke_config",
            "update_function_event_invoke_config",
            "get_function_event_invoke_config",
            "delete_function_event_invoke_config",
            "list_function_event_invoke_configs",
        )
    },
}

#: Model attributes read on instances (set in each class's ``__init__``).
INSTANCE_STATE: dict[str, tuple[str, ...]] = {
    "LambdaBackend": ("_lambdas",),
    "LambdaStorage": ("_functions",),
    "LambdaFunction": (
        "function_name",
        "version",
        "run_time",
        "handler",
        "timeout",
        "memory_size",
        "environment_vars",
        "layers",
        "code_or_config_updated",
    ),
    "LambdaAlias": ("function_version", "routing_config"),
    "LayerVersion": ("code_bytes",),
    "EventSourceMapping": ("function_arn",),
}
#: The same for moto's EFS models (access point ids are re-keyed, see :func:`give_access_point_id`).
EFS_INSTANCE_STATE: dict[str, tuple[str, ...]] = {
    "EFSBackend": ("access_points", "tagging_service"),
    "AccessPoint": ("access_point_id", "access_point_arn"),
}


def check() -> bool:
    """The start-up check; returns False when an untested moto was allowed (after a warning)."""
    in_range = check_version(MOTO)
    version = MOTO.installed()
    for module_name, names in INTERNALS.items():
        module = _module(module_name)
        for name in names:
            require(MOTO, module, name, version)
    for module_name, classes in PATCHED.items():
        module = _module(module_name)
        for class_name, methods in classes.items():
            cls = require(MOTO, module, class_name, version)
            for method in methods:
                if method not in vars(cls):
                    raise UnsupportedDependencyError(
                        MOTO.missing(version or "?", f"{module_name}.{class_name}.{method}")
                    )
    models = _module("moto.awslambda.models")
    for class_name, attributes in INSTANCE_STATE.items():
        require_instance_attributes(MOTO, require(MOTO, models, class_name, version), attributes)
    efs_models = _module("moto.efs.models")
    for class_name, attributes in EFS_INSTANCE_STATE.items():
        require_instance_attributes(MOTO, require(MOTO, efs_models, class_name, version), attributes)
    return in_range


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        version = MOTO.installed()
        if version is None:
            raise  # moto itself is missing: the caller says how to install the sandbox extra
        raise UnsupportedDependencyError(MOTO.missing(version, f"module {name} ({exc})")) from None


def latest_function(lambda_backend: Any, function_name: str) -> Any:
    """moto's model of ``$LATEST`` of a function (the backend keeps versions in ``_lambdas._functions``)."""
    return lambda_backend._lambdas._functions[function_name]["latest"]


def give_access_point_id(account_id: str, region: str, access_point_id: str, new_id: str) -> str:
    """Re-key an access point in moto's EFS under ``new_id``; returns its new ARN.

    moto names access points ``fsap-`` + 8 hex digits, AWS ``fsap-`` + 17, and Lambda's ``FileSystemArn`` pattern
    accepts only the latter, so a function could not mount an access point the sandbox made."""
    from moto.efs.models import efs_backends

    backend = efs_backends[account_id][region]
    point = backend.access_points.pop(access_point_id)
    tags = backend.tagging_service.list_tags_for_resource(access_point_id).get("Tags", [])
    backend.tagging_service.delete_all_tags_for_resource(access_point_id)
    point.access_point_id = new_id
    point.access_point_arn = f"{point.access_point_arn.rsplit('/', 1)[0]}/{new_id}"
    backend.access_points[new_id] = point
    if tags:
        backend.tagging_service.tag_resource(new_id, tags)
    return str(point.access_point_arn)
