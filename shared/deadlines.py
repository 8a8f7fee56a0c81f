"""How long a video may stay in each non-terminal status: the one set of numbers the catalog's sweeper, the
plugin registry's budget and the queues' retry settings (infra/retries.py) are all derived from."""

from __future__ import annotations

RECORDING_S = 50 * 3600  # IVS broadcasts last up to 48 h
PROCESSING_S = 2 * 3600
ENRICHING_S = 3600
