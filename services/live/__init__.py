"""Live updates to viewers: WebSocket connections, topic subscriptions and the backend-only fan-out."""
