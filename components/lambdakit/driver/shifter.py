"""Shifting traffic through stack config and ``up``: the canary's :class:`~lambdakit.canary.TrafficShifter` in a
release, so Pulumi state stays the source of truth for the alias.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lambdakit.canary import (
    Echo,
)
from lambdakit.ops import (
    ServiceRef,
)
from lambdakit.traffic import CANARY_WEIGHT, STABLE_VERSION, config_path

from .aws import ServiceOps
from .stacks import (
    DriverError,
    StackHandle,
)


def config_key(project: str, service: str, name: str) -> str:
    """The path config key the driver sets for one service (``<project>:release["<service>"].<name>``)."""
    return config_path(project, service, name)


class PulumiConfigShifter:
    """A :class:`~lambdakit.canary.TrafficShifter` that moves traffic by stack config and ``up``.

    Only ``canaryWeight`` and ``stableVersion`` change in these ``up``s, never provisioned concurrency: AWS refuses
    to change provisioned concurrency on an alias that carries weights.
    """

    def __init__(
        self,
        stack: StackHandle,
        refs: Mapping[str, ServiceRef],
        new_versions: Mapping[str, str],
        stable_versions: Mapping[str, str],
        *,
        ops: ServiceOps | None = None,
        project: str,
        echo: Echo = print,
    ) -> None:
        self.stack = stack
        self.refs = dict(refs)
        self.new_versions = dict(new_versions)
        self.stable_versions = dict(stable_versions)
        self.ops = ops
        self.project = project
        self.echo = echo
        self.ups = 0

    def _up(self, what: str) -> None:
        self.echo(f"  pulumi up ({what})")
        self.stack.up()
        self.ups += 1

    def _verify(self, service: str, primary: str | None, weights: dict[str, float]) -> None:
        # A cheap check that the deployment did what config asked: the alias is what the canary reads health for.
        if self.ops is None:
            return
        state = self.ops.alias_state(self.refs[service])
        if state is not None and primary is not None and state != (primary, weights):
            raise DriverError(
                f"{service}: after up the alias serves {state[0]} with routing {state[1]}, expected {primary} "
                f"with {weights}; does its LambdaService read the stack config "
                f"{config_key(self.project, service, CANARY_WEIGHT)} (is stable_version or canary_weight set in code)?"
            )

    def shift(self, weights: Mapping[str, float]) -> None:
        for service, weight in weights.items():
            self.stack.set_config(config_key(self.project, service, CANARY_WEIGHT), f"{weight:g}", path=True)
        self._up(", ".join(f"{s} {w:.0%}" for s, w in weights.items()))
        for service, weight in weights.items():
            self._verify(service, self._stable(service), {self.new_versions[service]: weight})

    def promote(self, services: Sequence[str]) -> None:
        for service in services:
            self.stack.set_config(
                config_key(self.project, service, STABLE_VERSION), self.new_versions[service], path=True
            )
            self.stack.remove_config(config_key(self.project, service, CANARY_WEIGHT), path=True)
        self._up("promote " + ", ".join(services))
        for service in services:
            self._verify(service, self.new_versions[service], {})

    def rollback(self, services: Sequence[str]) -> None:
        for service in services:
            self.stack.remove_config(config_key(self.project, service, CANARY_WEIGHT), path=True)
            stable = self._stable(service)
            if stable is not None:
                # After a promotion (a failed post-traffic hook) the config names the new version: put it back.
                self.stack.set_config(config_key(self.project, service, STABLE_VERSION), stable, path=True)
        self._up("roll back " + ", ".join(services))
        for service in services:
            self._verify(service, self._stable(service), {})

    def _stable(self, service: str) -> str | None:
        return self.stable_versions.get(service)
