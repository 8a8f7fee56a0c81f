"""Lambda entry points of the live service: WebSocket routes and the notifier."""
