"""Stack-per-environment release driver: dev -> staging -> prod, each gated and canaried.

Per environment, in order: select or create the stack, apply its config, pin every service's ``stableVersion`` to
the version its alias serves, ``preview`` with the policy pack and the environment's policy config (stop on a
mandatory violation), ``up`` (publishes new versions while the aliases stay on stable), smoke-invoke each new
version, run the canary by changing ``canaryWeight``/``stableVersion`` config and running ``up`` (Pulumi state stays
the source of truth for the alias), then prune old versions. A failed gate stops the run: later environments are
not touched. Progress is echoed as it goes and the run ends with a summary table.

The Pulumi side is behind :class:`StackHandle`/:class:`StackBackend`; :class:`AutomationBackend` implements them
with ``pulumi.automation`` (which shells out to the Pulumi CLI) and is the default where ``pulumi`` is on PATH.
The AWS side is behind :class:`ServiceOps`; :class:`Boto3ServiceOps` implements it with ``lambdakit.ops`` and
``lambdakit.canary``. Tests drive the whole thing with a fake stack against moto.

Any program that uses ``LambdaService`` works unchanged: services are read from the stack's state (each
component's registered outputs: function, alias, alarms, smoke event), and traffic moves through the stack config
object ``<project>:release`` that every ``LambdaService`` reads (:mod:`lambdakit.traffic`), the project being the
``name`` in the program's ``Pulumi.yaml``.

Provisioned concurrency: AWS refuses to create or change it while the alias carries weights. The driver never sets
a weight in the ``up`` that applies the environment's config (it removes any leftover ``canaryWeight`` first), and
the canary ``up``s change nothing but ``canaryWeight`` and ``stableVersion``.

Modules: ``stacks`` (the Pulumi side), ``aws`` (the AWS side), ``shifter`` (traffic through config + ``up``),
``run`` (the environments' stages and the summary table).
"""

from __future__ import annotations

from lambdakit.ops import OpsError

from .aws import Boto3ServiceOps, ServiceOps
from .run import Driver, Environment, EnvironmentResult, RunReport, Status, boto3_ops_for, summary_table
from .shifter import PulumiConfigShifter, config_key
from .stacks import (
    AutomationBackend,
    AutomationStack,
    DriverError,
    PolicyViolation,
    PreviewOutcome,
    StackBackend,
    StackHandle,
    require_pulumi_cli,
)

__all__ = [
    "AutomationBackend",
    "AutomationStack",
    "Boto3ServiceOps",
    "Driver",
    "DriverError",
    "Environment",
    "EnvironmentResult",
    "OpsError",
    "PolicyViolation",
    "PreviewOutcome",
    "PulumiConfigShifter",
    "RunReport",
    "ServiceOps",
    "StackBackend",
    "StackHandle",
    "Status",
    "boto3_ops_for",
    "config_key",
    "require_pulumi_cli",
    "summary_table",
]
