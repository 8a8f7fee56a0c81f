"""Built-in plugins: each a package with its manifest, handler and stack."""
