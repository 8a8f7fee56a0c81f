"""Generative AI for the built-in plugins: task-level ports (transcribe, write titles, paint avatars),
their AWS and offline adapters, the prompt catalog and the guardrails around untrusted transcript text."""
