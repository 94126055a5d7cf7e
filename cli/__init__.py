"""Command-line faces of gdxarray: one module per console script."""
