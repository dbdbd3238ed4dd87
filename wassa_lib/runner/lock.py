"""One run per run folder: an advisory lock beside the folder, released by the system when its process ends.

The lock is ``<parent>/.<folder>.lock``, outside the folder so that it stays put when a new run sets
an earlier folder aside. It holds the owner's pid and start time for the message a second run
prints. The file itself stays; a lock file left by a killed run blocks nothing: the system released its ``flock`` with
the process, and the next run takes it over.
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from wassa_lib.runner.params import RunError
from wassa_lib.settings.layout import lock_path


class RunLock:
    """``with RunLock(folder):`` holds the folder for this process, or raises :class:`RunError` naming
    the run that holds it (its pid and start time)."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir, self.path = Path(run_dir), lock_path(run_dir)
        self._handle = None

    def __enter__(self) -> RunLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.path.open("a+", encoding="utf-8")
        except OSError as err:
            raise RunError(f"{self.run_dir}: cannot be used as a run folder ({err.strerror})") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = _owner(handle.read())
            handle.close()
            raise RunError(
                f"{self.run_dir}: another run is using this folder ({owner}); wait for it to "
                "finish or choose another --output-dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps({"pid": os.getpid(), "started": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        )
        handle.flush()
        self._handle = handle
        return self

    def __exit__(self, *exc) -> None:
        if self._handle is not None:  # the file stays (unlinking it would race with a run opening it)
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def _owner(text: str) -> str:
    try:
        record = json.loads(text)
        return f"pid {record['pid']}, started {record['started']}"
    except (ValueError, KeyError, TypeError):
        return "owner unknown"
