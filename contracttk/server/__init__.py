"""See the package docstring in contracttk."""
