"""svideo's event contract v1: detail models, the envelope, the registry of event types, the publisher.

Models are the source of truth; docs/events.md is the catalog and shared/events/schemas.py exports them to
the EventBridge Schema Registry.
"""
