"""Amazon Cognito user pool triggers: the permission that lets a user pool invoke the alias, and the ``lambda_config``
that names the alias for each trigger.

A user pool's triggers are its ``lambda_config``, a property of the ``aws.cognito.UserPool`` resource itself: there is
no separate "trigger" resource, so a component that does not own the pool cannot attach itself to it (setting
``lambda_config`` from here would fight the pool's owner on every update). SAM has the same limit (its ``Cognito``
event needs the pool in the same template) and so does the CDK (``addTrigger`` works only on a pool the stack
creates). lambdakit therefore does the half it can own, the permission on the alias scoped to the pool and its
account, and hands the other half to the pool's owner: ``service.cognito_lambda_config(pool)`` is the mapping to pass
as the pool's ``lambda_config``; its values wait for the permission, so a pool created from it is created after it.

The trigger names are the fields of pulumi-aws' ``UserPoolLambdaConfigArgs`` (``pre_sign_up``, ...), read from that
class, so a provider upgrade that adds a trigger brings it here; the CloudFormation spelling (``PreSignUp``) is
accepted too.
"""

# No `from __future__ import annotations`: Pulumi's component schema inference reads these TypedDicts at run time.
import functools
import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .. import limits
from ..iam import statement
from ..validation import Field
from .common import Context

#: Fields of ``UserPoolLambdaConfigArgs`` that name no function: the KMS key of the custom senders.
_NOT_TRIGGERS = frozenset({"kms_key_id"})
#: Custom sender triggers: Cognito encrypts the codes they receive with the pool's KMS key (``kms_key_id``), which the
#: function decrypts, so they need ``kms_key_arn`` (and the role gets ``kms:Decrypt`` on that key).
CUSTOM_SENDERS = frozenset({"custom_email_sender", "custom_sms_sender"})
#: The trigger whose event version can be chosen (``pre_token_generation_config.lambda_version``).
PRE_TOKEN = "pre_token_generation"


@functools.cache
def trigger_fields() -> tuple[str, ...]:
    """The user pool trigger names: the fields of pulumi-aws' ``UserPoolLambdaConfigArgs`` that name a function,
    without the ``<trigger>_config`` field that only versions another trigger (``pre_token_generation_config``)."""
    fields = [p for p in inspect.signature(aws.cognito.UserPoolLambdaConfigArgs.__init__).parameters if p != "__self__"]
    return tuple(f for f in fields if f not in _NOT_TRIGGERS and not (f.endswith("_config") and f[:-7] in fields))


def _spelling(name: str) -> str:
    return name.replace("_", "").lower()


def canonical_trigger(name: str) -> str | None:
    """``pre_sign_up``, ``PreSignUp`` or ``CustomSMSSender`` -> the pulumi-aws field name; None when unknown."""
    return {_spelling(f): f for f in trigger_fields()}.get(_spelling(name))


class CognitoTriggerArgs(TypedDict):
    """Triggers of one Amazon Cognito user pool that invoke the alias."""

    user_pool_arn: NotRequired[pulumi.Input[str]]
    """ARN of the user pool, in this account or another one (the permission is scoped to the account the ARN names).
    Give it or `user_pool_id`."""
    user_pool_id: NotRequired[str]
    """Id of a user pool of this account, e.g. `eu-west-1_AbCdEf123` (its region is the id's prefix). Give it or
    `user_pool_arn`."""
    triggers: Sequence[str]
    """Trigger names, as the fields of the provider's `UserPoolLambdaConfigArgs` (`pre_sign_up`, `post_confirmation`,
    `pre_token_generation`, `custom_message`, `define_auth_challenge`, ...) or as CloudFormation spells them
    (`PreSignUp`). Required, at least one."""
    pre_token_generation_version: NotRequired[str]
    """Event version of the `pre_token_generation` trigger: `V1_0`, `V2_0` (access token customisation) or `V3_0`.
    Defaults to none (Cognito's `V1_0`, the legacy field only)."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """ARN of the KMS key the pool encrypts codes with for `custom_email_sender`/`custom_sms_sender` (the pool's
    `kms_key_id`); the role may `kms:Decrypt` with it. Required with a custom sender, refused without one."""


@dataclass(frozen=True)
class CognitoTriggerPlan:
    index: int
    #: Exactly one of ``user_pool_arn`` and ``user_pool_id`` is set.
    user_pool_arn: Any
    user_pool_id: str | None
    #: pulumi-aws field names, in the order given.
    triggers: tuple[str, ...]
    pre_token_generation_version: str | None
    kms_key_arn: Any

    @property
    def key(self) -> Any:
        """What the user names the pool by (for ``cognito_lambda_config(pool)``)."""
        return self.user_pool_id if self.user_pool_id is not None else self.user_pool_arn


def _names(field: Field, value: Any) -> tuple[str, ...]:
    items = field.sequence(value, min_len=1, what="a list of trigger names")
    names: list[str] = []
    for i, raw in enumerate(items):
        item = field.index(i)
        item.string(raw, plain=True, what="a trigger name")
        name = canonical_trigger(raw)
        if name is None:
            raise item.fail(f"must be a user pool trigger ({', '.join(trigger_fields())}); got {raw!r}")
        if name in names:
            raise item.fail(f"names the trigger {name!r} twice (a pool invokes one function per trigger)")
        names.append(name)
    return tuple(names)


def _trigger(index: int, field: Field, raw: Mapping[str, Any]) -> CognitoTriggerPlan:
    arn, pool_id = raw.get("user_pool_arn"), raw.get("user_pool_id")
    if (arn is None) == (pool_id is None):
        raise field.fail(
            "needs exactly one of user_pool_arn and user_pool_id" + (", got both" if arn is not None else "")
        )
    if arn is not None:
        arn = field.key("user_pool_arn").string(
            arn,
            pattern=limits.COGNITO_USER_POOL_ARN_RE,
            what="a user pool ARN (arn:aws:cognito-idp:<region>:<account>:userpool/<region>_<id>)",
        )
    else:
        field.key("user_pool_id").string(
            pool_id,
            max_len=limits.COGNITO_USER_POOL_ID_MAX,
            pattern=limits.COGNITO_USER_POOL_ID_RE,
            what="a user pool id (<region>_<letters and digits>)",
            plain=True,
        )
    names = _names(field.key("triggers"), raw.get("triggers"))
    version = raw.get("pre_token_generation_version")
    if version is not None:
        field.key("pre_token_generation_version").choice(version, limits.COGNITO_PRE_TOKEN_VERSIONS, plain=True)
        if PRE_TOKEN not in names:
            raise field.key("pre_token_generation_version").fail(
                f"needs the {PRE_TOKEN} trigger in triggers, got {version!r} without it"
            )
    key = raw.get("kms_key_arn")
    senders = [n for n in names if n in CUSTOM_SENDERS]
    if senders and key is None:
        raise field.key("kms_key_arn").fail(
            f"is required with {' and '.join(senders)}: Cognito encrypts the codes it sends them with that key"
        )
    if key is not None and not senders:
        raise field.key("kms_key_arn").fail(
            "is only for custom_email_sender or custom_sms_sender triggers, and none is listed"
        )
    return CognitoTriggerPlan(
        index=index,
        user_pool_arn=arn,
        user_pool_id=pool_id,
        triggers=names,
        pre_token_generation_version=version,
        kms_key_arn=None if key is None else field.key("kms_key_arn").arn(key, ("kms",), what="KMS key ARN"),
    )


def validate_cognito_triggers(owner: str, value: Any) -> tuple[CognitoTriggerPlan, ...]:
    """``cognito_triggers`` -> one plan per user pool; a pool named twice is refused (one entry per pool)."""
    root = Field(owner, "cognito_triggers")
    plans = tuple(_trigger(i, f, raw) for i, f, raw in root.entries(value, CognitoTriggerArgs))
    seen: dict[str, int] = {}
    for plan in plans:
        if isinstance(plan.key, str):
            if plan.key in seen:
                raise root.index(plan.index).fail(
                    f"names the user pool {plan.key!r} again (already cognito_triggers[{seen[plan.key]}]): "
                    "list all of one pool's triggers in one entry"
                )
            seen[plan.key] = plan.index
    return plans


def cognito_statements(plans: Sequence[CognitoTriggerPlan]) -> list[Any]:
    """``kms:Decrypt`` on each custom sender's key: the function decrypts the code Cognito encrypted with it."""
    return [
        statement(f"CognitoSenderKey{p.index}", ["kms:Decrypt"], p.kms_key_arn)
        for p in plans
        if p.kms_key_arn is not None
    ]


def _pool_arn(ctx: Context, plan: CognitoTriggerPlan) -> Any:
    if plan.user_pool_arn is not None:
        return plan.user_pool_arn
    pool_id = plan.user_pool_id
    assert pool_id is not None
    # A pool id starts with its region (eu-west-1_AbCdEf123); the pool is in the deploying account.
    region = pool_id.split("_", 1)[0]
    return pulumi.Output.concat("arn:", ctx.partition, ":cognito-idp:", region, ":", ctx.account, ":userpool/", pool_id)


def create_cognito_triggers(ctx: Context, plans: Sequence[CognitoTriggerPlan]) -> None:
    """Per pool: the permission for ``cognito-idp.amazonaws.com`` on the alias, scoped to the pool's ARN and account,
    and its ``lambda_config`` (alias ARN per trigger, waiting for the permission) in ``ctx.out.cognito_lambda_configs``.
    """
    for plan in plans:
        name = f"{ctx.service}-cognito-{plan.index}"
        arn = _pool_arn(ctx, plan)
        account = pulumi.Output.from_input(arn).apply(lambda a: a.split(":")[4])
        permission = ctx.permission(f"{name}-permission", "cognito-idp.amazonaws.com", arn, account)
        # The values carry the permission as a dependency: a pool that names them is created (or updated) after it,
        # and a first sign-up cannot reach an alias that does not let the pool invoke it yet.
        alias_arn = pulumi.Output.all(ctx.target.alias_arn, permission.id).apply(lambda v: v[0])
        ctx.out.cognito_lambda_configs[plan.key] = lambda_config(plan, alias_arn)
        ctx.out.cognito_pool_arns[plan.key] = pulumi.Output.from_input(arn)


def lambda_config(plan: CognitoTriggerPlan, alias_arn: pulumi.Output[str]) -> dict[str, Any]:
    """The ``UserPoolLambdaConfigArgs`` fields for ``plan``: each trigger names the alias ARN; the pre token
    generation trigger with a version also gets its ``_config``; custom senders get ``V1_0`` and the pool's KMS key."""
    config: dict[str, Any] = {}
    for trigger in plan.triggers:
        if trigger in CUSTOM_SENDERS:
            config[trigger] = {"lambda_arn": alias_arn, "lambda_version": limits.COGNITO_CUSTOM_SENDER_VERSION}
        else:
            config[trigger] = alias_arn
    if plan.pre_token_generation_version is not None:
        # AWS requires the legacy field and the config's ARN to be identical when both are set.
        config[f"{PRE_TOKEN}_config"] = {"lambda_arn": alias_arn, "lambda_version": plan.pre_token_generation_version}
    if plan.kms_key_arn is not None:
        config["kms_key_id"] = plan.kms_key_arn
    return config


def cognito_lambda_config(service: str, configs: Mapping[Any, dict[str, Any]], user_pool: Any = None) -> dict[str, Any]:
    """The ``lambda_config`` of ``user_pool`` (as named in ``cognito_triggers``); the only one when not named."""
    if not configs:
        raise ValueError(f"{service}: cognito_lambda_config() needs cognito_triggers, and none is set")
    if user_pool is None:
        if len(configs) > 1:
            raise ValueError(
                f"{service}: cognito_lambda_config() needs the user pool: cognito_triggers lists {len(configs)} pools"
            )
        return dict(next(iter(configs.values())))
    for key, config in configs.items():
        if key is user_pool or (isinstance(key, str) and key == user_pool):
            return dict(config)
    named = ", ".join(repr(k) for k in configs if isinstance(k, str)) or "only pools known at deploy time"
    raise ValueError(f"{service}: cognito_lambda_config({user_pool!r}) names no pool of cognito_triggers ({named})")
