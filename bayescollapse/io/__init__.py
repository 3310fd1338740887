"""Files: the results schema, atomic NetCDF/Zarr storage and kept posteriors (ArviZ trees)."""
