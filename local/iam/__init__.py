"""IAM in the local cloud: policy evaluation, what each request needs, per-role credentials."""

from local.iam.enforcer import MODES, AccessDenied, IamEnforcer, Mode

__all__ = ["MODES", "AccessDenied", "IamEnforcer", "Mode"]
