"""The errors operations raise: each says what failed and what the operator can do about it."""

from __future__ import annotations

from botocore.exceptions import ClientError


class OpsError(Exception):
    """An operation failed for a reason the operator can act on; the message says which and how."""


class PruneRefusedError(OpsError):
    """Prune will not run on a function whose alias carries weights (unless forced)."""


class FunctionNotFoundError(OpsError):
    """The function does not exist in this account and region."""


class AliasNotFoundError(OpsError):
    """The function exists but the alias (or version) does not."""


class PermissionDeniedError(OpsError):
    """The caller's credentials may not perform the action."""


class ServiceNotFoundError(OpsError):
    """The stack's ``services`` export has no service of that name."""


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _is_access_denied(exc: ClientError) -> bool:
    return _error_code(exc) in {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"}


def _denied(action: str, function_name: str, qualifier: str, exc: ClientError) -> PermissionDeniedError:
    message = exc.response.get("Error", {}).get("Message") or str(exc)
    return PermissionDeniedError(
        f"permission denied for {action} on {function_name}:{qualifier}: {message}; "
        f"the caller needs {action} on the alias ARN (…:function:{function_name}:{qualifier})"
    )
