"""Powertools singletons every handler imports: `logger`, `tracer`, `metrics`.

Configured only through the environment the stacks set: POWERTOOLS_SERVICE_NAME (service name),
POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL, POWERTOOLS_TRACE_DISABLED. Constructing them creates no
client and touches no network: Tracer patches boto only inside Lambda, Metrics writes EMF to stdout on flush.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()

__all__ = ["logger", "metrics", "tracer"]
