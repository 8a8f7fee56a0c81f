"""Code every svideo service shares: the event contract, the publisher, the pattern engine, config."""
