"""Measurements for the benchmark (`dvc-index bench`): plain functions, independent of Dagster."""
