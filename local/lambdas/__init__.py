"""Lambda on the local cloud: API, per-function workers, async invocation, event source mappings."""

from local.lambdas.service import LambdaService

__all__ = ["LambdaService"]
