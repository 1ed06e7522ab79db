"""Amazon SES receipt rules whose Lambda action invokes the alias, after the permission that lets SES do so.

The permission is scoped to the rule's ARN
(``arn:aws:ses:<region>:<account>:receipt-rule-set/<set>:receipt-rule/<rule>``) and the account, so the rule's name is
needed before the rule exists: it is an input, not generated. The rule set is the team's (usually the account's one
active set) and is not created here.
"""

# No `from __future__ import annotations`: Pulumi's component schema inference reads this TypedDict at run time.
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .. import limits
from ..validation import Field, optional
from .common import Context


class SesRuleArgs(TypedDict):
    """An Amazon SES receipt rule that invokes the alias for incoming mail."""

    rule_set_name: str
    """Name of the existing receipt rule set the rule is added to (SES receives with the account's active set).
    Required."""
    rule_name: str
    """Name of the rule, unique in the rule set: letters, digits, `_`, `-` and `.`, starting and ending with a letter
    or digit, at most 64 characters. Required (the permission names the rule before it exists)."""
    recipients: NotRequired[Sequence[str]]
    """Addresses or domains the rule applies to (at most 100), e.g. `orders@example.com` or `example.com`. Defaults
    to every recipient of the account's verified domains."""
    invocation_type: NotRequired[str]
    """`Event` (asynchronous) or `RequestResponse` (SES waits, at most 30 seconds, for a mail-flow decision such as
    `{"disposition": "STOP_RULE"}`). Defaults to `Event`."""
    after: NotRequired[str]
    """Name of the rule in the set after which this rule is placed. Defaults to the first position."""
    scan_enabled: NotRequired[bool]
    """Scan messages for spam and viruses (the event's `receipt.spamVerdict`/`virusVerdict`). Defaults to false."""
    tls_policy: NotRequired[str]
    """`Require` (bounce mail not received over TLS) or `Optional`. Defaults to `Optional`."""
    enabled: NotRequired[bool]
    """Whether the rule is active. Defaults to true."""


@dataclass(frozen=True)
class SesRulePlan:
    index: int
    rule_set_name: str
    rule_name: str
    recipients: tuple[str, ...]
    invocation_type: str
    after: str | None
    scan_enabled: bool
    tls_policy: str
    enabled: bool


_NAME = "letters, digits, '_', '-' and '.', starting and ending with a letter or digit"


def _name(field: Field, value: Any) -> str:
    return str(
        field.string(
            value, max_len=limits.SES_NAME_MAX, pattern=limits.SES_NAME_RE, what=f"a name ({_NAME})", plain=True
        )
    )


def _recipients(field: Field, value: Any) -> tuple[str, ...]:
    items = field.sequence([] if value is None else value, max_len=limits.SES_RECIPIENTS_MAX, what="a list of strings")
    out: list[str] = []
    for i, raw in enumerate(items):
        item = field.index(i)
        text = item.string(raw, plain=True, what="an email address or a domain")
        local, at, domain = text.rpartition("@")
        if " " in text or "." not in (domain if at else text) or (at and not local):
            raise item.fail(f"must be an email address or a domain such as example.com, got {text!r}")
        if text.lower() in (r.lower() for r in out):
            raise item.fail(f"lists {text!r} twice")
        out.append(text)
    return tuple(out)


def _rule(index: int, field: Field, raw: Mapping[str, Any]) -> SesRulePlan:
    rule_name = _name(field.key("rule_name"), raw.get("rule_name"))
    after = raw.get("after")
    if after is not None:
        _name(field.key("after"), after)
        if after == rule_name:
            raise field.key("after").fail(f"names the rule itself ({after!r})")
    return SesRulePlan(
        index=index,
        rule_set_name=_name(field.key("rule_set_name"), raw.get("rule_set_name")),
        rule_name=rule_name,
        recipients=_recipients(field.key("recipients"), raw.get("recipients")),
        invocation_type=field.key("invocation_type").choice(
            optional(raw, "invocation_type", "Event"), limits.SES_INVOCATION_TYPES, plain=True
        ),
        after=after,
        scan_enabled=field.key("scan_enabled").boolean(optional(raw, "scan_enabled", False)),
        tls_policy=field.key("tls_policy").choice(
            optional(raw, "tls_policy", "Optional"), limits.SES_TLS_POLICIES, plain=True
        ),
        enabled=field.key("enabled").boolean(optional(raw, "enabled", True)),
    )


def validate_ses_rules(owner: str, value: Any) -> tuple[SesRulePlan, ...]:
    """``ses_rules`` -> one plan per receipt rule; a rule named twice in one rule set is refused."""
    root = Field(owner, "ses_rules")
    plans = tuple(_rule(i, f, raw) for i, f, raw in root.entries(value, SesRuleArgs))
    seen: dict[tuple[str, str], int] = {}
    for plan in plans:
        key = (plan.rule_set_name, plan.rule_name)
        if key in seen:
            raise (
                root.index(plan.index)
                .key("rule_name")
                .fail(
                    f"names the rule {plan.rule_name!r} of rule set {plan.rule_set_name!r} again "
                    f"(already ses_rules[{seen[key]}]); rule names are unique in a rule set"
                )
            )
        seen[key] = plan.index
    return plans


def rule_arn(ctx: Context, plan: SesRulePlan) -> pulumi.Output[str]:
    """``arn:<partition>:ses:<region>:<account>:receipt-rule-set/<set>:receipt-rule/<rule>``, in the function's region
    (SES invokes functions of its own region)."""
    return pulumi.Output.concat(
        "arn:",
        ctx.partition,
        ":ses:",
        ctx.region,
        ":",
        ctx.account,
        f":receipt-rule-set/{plan.rule_set_name}:receipt-rule/{plan.rule_name}",
    )


def create_ses_rules(ctx: Context, plans: Sequence[SesRulePlan]) -> None:
    """Per rule: the permission for ``ses.amazonaws.com`` on the alias (scoped to the rule's ARN and the account), then
    the receipt rule with its Lambda action on the alias, after the permission (SES checks it when the rule is
    created: "Could not invoke Lambda function")."""
    for plan in plans:
        name = f"{ctx.service}-ses-{plan.index}"
        permission = ctx.permission(f"{name}-permission", "ses.amazonaws.com", rule_arn(ctx, plan))
        ctx.out.receipt_rules.append(
            aws.ses.ReceiptRule(
                name,
                name=plan.rule_name,
                rule_set_name=plan.rule_set_name,
                recipients=list(plan.recipients) or None,
                enabled=plan.enabled,
                scan_enabled=plan.scan_enabled,
                tls_policy=plan.tls_policy,
                after=plan.after,
                lambda_actions=[
                    aws.ses.ReceiptRuleLambdaActionArgs(
                        function_arn=ctx.target.alias_arn, invocation_type=plan.invocation_type, position=1
                    )
                ],
                opts=ctx.opts(permission),
            )
        )
