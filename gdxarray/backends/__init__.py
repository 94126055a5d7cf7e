"""xarray backends (archives and bigWig)."""

# The backend is reached through its entry point (backends.entrypoint), not imported by name.
__all__: list[str] = []
