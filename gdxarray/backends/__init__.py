"""xarray backends (archives and bigWig)."""
