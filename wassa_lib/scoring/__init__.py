"""Scoring: the CodaLab scorer, the paper's numbers, the floors, submission files and saved tables.

Imports data, settings and hf."""
