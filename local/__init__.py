"""The local cloud: the whole platform on one offline machine, from the same templates and handlers."""
