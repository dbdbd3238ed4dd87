"""Settings: the validated config dataclasses, the paths of a run folder, and provenance of a run.

Imports only wassa_lib.data."""
