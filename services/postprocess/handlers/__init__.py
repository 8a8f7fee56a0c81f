"""Lambda entry points of post-processing."""
