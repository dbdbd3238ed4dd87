"""Reproduction kit for the WASSA 2021 shared-task system (empathy/distress regression; emotion label generation)."""

__version__ = "0.1.0"
