"""Command-line faces of gdxarray: one module per console script."""

# Each command is its own module (gdxarray.cli.<command>.main); the package exports nothing.
__all__: list[str] = []
