"""Reporting: the README and docs numbers rendered from a recorded run.

Imports every other stage."""
