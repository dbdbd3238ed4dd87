"""Colab support: the setup cell every notebook carries, and what it does once the kit is installed."""
from __future__ import annotations

import sys
from pathlib import Path

DRIVE = Path("/content/drive")
DRIVE_DATA = DRIVE / "MyDrive" / "wassa2021"
DRIVE_CARER = DRIVE / "MyDrive" / "emotion_carer"

# The first code cell of every notebook after its parameters (a test checks they agree with this text).
SETUP_CELL = '''\
# Colab only: install the kit (Colab's own torch is kept), read the data from Google Drive and switch to the
# paper profile when a GPU is attached. Outside Colab this cell does nothing.
import sys

if "google.colab" in sys.modules:
    import subprocess
    from pathlib import Path

    KIT_GIT_URL = "https://github.com/OWNER/wassa-kit.git"  # this repository (or your fork)
    kit = Path("/content/wassa-kit")
    if not kit.exists():
        subprocess.run(["git", "clone", "--depth", "1", KIT_GIT_URL, str(kit)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", f"{kit}[gpu]"], check=True)
    sys.path.insert(0, str(kit))
    from wassa_lib.colab import configure

    globals().update(configure(globals()))'''


def in_colab() -> bool:
    return "google.colab" in sys.modules


def configure(namespace: dict, mount_drive: bool = True) -> dict:
    """Parameter values for a notebook running in Colab.

    The ``paper`` profile with a GPU (else ``cpu``), applied to the names the
    notebook's parameters cell defined; the data directories on Google Drive
    (``MyDrive/wassa2021``, ``MyDrive/emotion_carer``) when they exist.
    """
    import torch

    from .run import load_params

    if mount_drive and in_colab() and not DRIVE.exists():
        from google.colab import drive

        drive.mount(str(DRIVE))
    profile = "paper" if torch.cuda.is_available() else "cpu"
    updates = {k: v for k, v in load_params(profile).items() if k in namespace}
    if DRIVE_DATA.is_dir():
        updates["data_dir"] = str(DRIVE_DATA)
    if DRIVE_CARER.is_dir() and "carer_dir" in namespace:
        updates["carer_dir"] = str(DRIVE_CARER)
    print(f"Colab: {profile} profile" + (f", data from {updates['data_dir']}" if "data_dir" in updates else ""))
    return updates
