"""Loggers for domain modules, without Powertools.

A handler's Powertools `Logger` is named after its service (POWERTOOLS_SERVICE_NAME) and formats JSON lines
with the correlation id; a stdlib logger named `<service>.<module>` is its child, so a domain module's lines
go through the same handler and formatter while the module imports only `logging`.
"""

from __future__ import annotations

import logging
import os

# Powertools' own default when the variable is unset.
UNDEFINED_SERVICE = "service_undefined"


def domain_logger(module: str) -> logging.Logger:
    """The logger for `module` (pass `__name__`): a child of the running service's Powertools logger."""
    service = os.environ.get("POWERTOOLS_SERVICE_NAME", UNDEFINED_SERVICE)
    return logging.getLogger(f"{service}.{module.rsplit('.', 1)[-1]}")
