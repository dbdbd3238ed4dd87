"""Evaluation across runs: training records, figures, claims with verdicts, dev selection, seeds, tuning.

Imports every stage below the runner: data, settings, hf, scoring, track1, track2."""
