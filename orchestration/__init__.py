"""dvc-index: the monthly warehouse of Vietnam's citizen and business service index."""

__version__ = "0.1.0"
