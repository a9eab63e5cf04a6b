"""Fuzz targets of choice_workflow (not shipped in the package): see fuzz_log.py."""
