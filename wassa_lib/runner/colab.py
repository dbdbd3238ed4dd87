"""Colab: the setup cell every notebook carries, and what it does once the kit is importable.

The cell finds the kit (a copy of the repository in Drive at ``MyDrive/wassa-kit``, or a
clone of :data:`GIT_URL` at :data:`GIT_REF` where one is set) and calls :func:`configure`,
which installs it once per machine without touching Colab's own torch and fills in only
the parameters the user left at their defaults: the ``paper`` profile when a GPU is
attached, the data on Drive, a run folder on Drive (so results survive a
disconnect) and ``resume`` on. Training checkpoints stay on the fast local disk.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

# The one place that says where Colab gets the kit from when it is neither installed nor in Drive.
# After changing these, `python -m wassa_lib colab-cell` writes them into every notebook.
GIT_URL = ""
GIT_REF = "main"
DRIVE_KIT = "wassa-kit"  # MyDrive/wassa-kit: the repository folder, uploaded
DRIVE_DATA = "wassa2021"  # MyDrive/wassa2021: the WASSA files
DRIVE_CARER = "emotion_carer"  # MyDrive/emotion_carer: CARER train/val/test.txt (else the hub's dair-ai/emotion)
DRIVE_RUNS = "wassa-kit-runs"  # MyDrive/wassa-kit-runs/<profile>: run folders
HUB_CARER = "dair-ai/emotion"
ROOT_ENV = "WASSA_COLAB_ROOT"  # Colab's /content; a test points it at a temporary folder
SCRATCH_ENV = "WASSA_SCRATCH_DIR"  # where training checkpoints go (see wassa_lib.hf.training.checkpoint_dir)

SETUP_CELL_TEMPLATE = """\
# Colab only (docs/colab.md): the kit from MyDrive/{drive_kit} (or a clone of GIT_URL), installed; the profile chosen.
import os, sys
if "google.colab" in sys.modules:
    root, url = os.environ.get("{root_env}", "/content"), {git_url!r}  # GIT_URL of wassa_lib/runner/colab.py
    from google.colab import drive; drive.mount(f"{{root}}/drive")
    kit = f"{{root}}/wassa-kit" if url else f"{{root}}/drive/MyDrive/{drive_kit}"
    if url and not os.path.isdir(kit):
        os.system(f"git clone -q --depth 1 --branch {git_ref} {{url}} {{kit}}")
    if not os.path.isdir(f"{{kit}}/wassa_lib"):  # one line, no traceback
        raise SystemExit(f"no kit in {{kit}}: upload the repository folder there (or set GIT_URL in wassa_lib/runner/colab.py)")
    sys.path.insert(0, kit)
    from wassa_lib.runner.colab import configure
    globals().update(configure(globals(), kit))"""


def setup_cell(git_url: str = GIT_URL, git_ref: str = GIT_REF) -> str:
    """The first code cell after the parameters of every notebook (a test checks that they agree)."""
    return SETUP_CELL_TEMPLATE.format(git_url=git_url, git_ref=git_ref, root_env=ROOT_ENV, drive_kit=DRIVE_KIT)


class ColabSetupError(Exception):
    """A Colab setup problem, shown as its one line (IPython prints ``_render_traceback_``)."""

    def _render_traceback_(self) -> list[str]:
        return [f"ColabSetupError: {self}"]


def colab_root() -> Path:
    return Path(os.environ.get(ROOT_ENV, "/content"))


def my_drive(mount: bool = True) -> Path:
    """``<root>/drive/MyDrive``, mounted first where it is not yet."""
    drive_dir = colab_root() / "drive"
    if mount and not (drive_dir / "MyDrive").is_dir():
        from google.colab import drive

        drive.mount(str(drive_dir))
    return drive_dir / "MyDrive"


def _needs_carer(namespace: dict) -> bool:
    return "carer_dir" in namespace and any(
        isinstance(m, dict) and m.get("incremental") for m in namespace.get("track2_models", [])
    )


def install(kit: str | Path) -> None:
    """``pip install -e <kit>[colab]`` unless this machine has the kit installed (Colab's torch stays)."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        distribution("wassa_lib")
    except PackageNotFoundError:
        logger.info("Colab: installing the kit from %s", kit)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", f"{kit}[colab]"], check=True)


def configure(namespace: dict, kit: str | Path | None = None, cuda: bool | None = None) -> dict:
    """Parameter values for a notebook running in Colab, as updates to the notebook's ``namespace``,
    after installing the kit found at ``kit`` (:func:`install`).

    Only parameters still at the notebook's defaults (those of the ``cpu`` profile) change:
    the profile's values (``paper`` when a GPU is attached), ``data_dir`` and ``carer_dir`` on
    Drive, ``output_dir`` in ``MyDrive/wassa-kit-runs/<profile>``, and ``resume`` on. Anything the
    user typed into the parameters cell stands. Logs what the notebook will use.
    """
    if kit is not None:
        install(kit)
    import torch

    from wassa_lib.hf.progress import show
    from wassa_lib.runner.params import load_params

    cuda = torch.cuda.is_available() if cuda is None else cuda
    defaults = load_params("cpu")
    untouched = {k for k in namespace if k in defaults and (namespace[k] is None or namespace[k] == defaults[k])}
    profile = namespace.get("profile", "cpu")
    if "profile" in untouched:
        profile = "paper" if cuda else "cpu"
    chosen = load_params(profile)
    updates = {k: chosen[k] for k in untouched if k in chosen and chosen[k] != namespace[k]}
    drive = my_drive()
    if "data_dir" in untouched:
        data = drive / DRIVE_DATA
        if not (data / "messages_train_ready_for_WS.tsv").is_file():
            found = sorted(p.name for p in drive.iterdir()) if drive.is_dir() else []
            raise ColabSetupError(
                f"{data}: no WASSA files there (looked for messages_train_ready_for_WS.tsv); "
                f"MyDrive holds: {', '.join(found[:12]) or 'nothing'}. Upload the files to "
                f"MyDrive/{DRIVE_DATA}, or set data_dir in the parameters cell"
            )
        updates["data_dir"] = str(data)
    if "carer_dir" in untouched and _needs_carer({**namespace, **updates}):
        carer = drive / DRIVE_CARER
        if not (carer / "train.txt").is_file():
            from wassa_lib.data.carer import download_carer

            carer = download_carer(colab_root() / DRIVE_CARER)
        updates["carer_dir"] = str(carer)
    run_dir = drive / DRIVE_RUNS / profile
    if "output_dir" in untouched:
        updates["output_dir"] = str(run_dir)
    if "resume" in untouched:
        updates["resume"] = True
    os.environ.setdefault(SCRATCH_ENV, str(colab_root() / "wassa-scratch"))
    out = Path(updates.get("output_dir") or namespace.get("output_dir") or run_dir)
    from wassa_lib.settings.layout import manifest_path, tables_dir

    earlier = manifest_path(out).is_file() or tables_dir(out).is_dir()
    values = {**namespace, **updates}
    show()
    logger.info(
        "Colab: %s profile%s; data %s; run folder %s%s; checkpoints in %s",
        profile,
        " (GPU)" if cuda else "",
        values.get("data_dir"),
        out,
        "; earlier results found there, finished models are reused" if earlier else "",
        os.environ[SCRATCH_ENV],
    )
    kept = sorted(k for k in namespace if k in defaults and k not in untouched)
    if kept:
        logger.info("Colab: kept as set in the parameters cell: %s", ", ".join(kept))
    return {**updates, "profile": profile} if "profile" in namespace else updates


def open_links(git_url: str = GIT_URL, ref: str = GIT_REF) -> list[str]:
    """Open-in-Colab links of the notebooks, built from :data:`GIT_URL` (a GitHub URL); none without one."""
    prefix = "https://github.com/"
    if not git_url.startswith(prefix):
        return []
    repo = git_url.removeprefix(prefix).removesuffix(".git")
    from wassa_lib.runner.run import list_notebooks

    return [
        f"[{nb.stem}](https://colab.research.google.com/github/{repo}/blob/{ref}/notebooks/{nb.name})"
        for nb in list_notebooks()
    ]


def write_setup_cells(notebooks: list[Path] | None = None) -> list[Path]:
    """Write :func:`setup_cell` into the first code cell after the parameters of each notebook."""
    import nbformat

    from wassa_lib.runner.run import list_notebooks

    changed = []
    for path in notebooks or list_notebooks():
        nb = nbformat.read(path, as_version=4)
        index = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
        if nb.cells[index + 1].source != setup_cell():
            nb.cells[index + 1].source = setup_cell()
            nbformat.write(nb, path)
            changed.append(path)
    return changed
