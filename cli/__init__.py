"""The `svideo` command: the local cloud's controls, the demo, plugins, users, operations."""
