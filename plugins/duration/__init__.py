"""The duration check (preValidate): a video shorter than the configured minimum is invalid."""
