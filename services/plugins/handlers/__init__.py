"""Lambda entry points of the plugin service: the registry API and the lifecycle."""
