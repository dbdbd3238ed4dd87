"""``manifest.json`` of a run folder: what ran, with which params, data, packages and machine, and how each
notebook ended; written atomically, keeping the records that another run wrote meanwhile."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from wassa_lib.settings.layout import manifest_path, metrics_dir

DONE, FAILED, RUNNING, INTERRUPTED = "done", "failed", "running", "interrupted"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Manifest:
    """The manifest of ``run_dir``; :meth:`write` keeps on-disk records of notebooks this run did not touch."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir, self.path = Path(run_dir), manifest_path(run_dir)
        self.touched: set[str] = set()

    def read(self) -> dict:
        return json.loads(self.path.read_text(encoding="utf-8")) if self.path.is_file() else {}

    def write(self, manifest: dict) -> None:
        """Write atomically, keeping the records of notebooks that another run wrote meanwhile."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        on_disk = self.read().get("notebooks", {})
        mine = {name: manifest["notebooks"][name] for name in self.touched}
        manifest["notebooks"] = {**manifest["notebooks"], **on_disk, **mine}
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(self.path)


def header(profile: str, params: dict, layers: Sequence[str], replacements: dict[str, str]) -> dict:
    """What a run records about itself: params and layers, commit, the paper's open settings beside the kit's,
    package versions, the machine and the sha256 of every data file (WASSA, and CARER where the profile has a
    CARER stage), with no folder of the machine in it (``replacements``, :func:`wassa_lib.runner.portable.names`)."""
    from wassa_lib.runner.portable import portable_json
    from wassa_lib.scoring.paper import settings_table
    from wassa_lib.settings.provenance import file_hashes, git_commit, machine, package_versions

    data = [Path(params["data_dir"]), *([Path(params["carer_dir"])] if params.get("carer_dir") else [])]
    return {
        "profile": profile,
        "params": portable_json(params, replacements),
        "params_layers": portable_json([str(Path(p).resolve()) for p in layers], replacements),
        "git_commit": git_commit(),
        "paper_settings": settings_table(params),
        "packages": package_versions(),
        "machine": machine(),
        "data_files": file_hashes(*data),
    }


def set_aside(run_dir: Path, echo: Callable[[str], None]) -> None:
    """Move an earlier run's folder aside (``<folder>.previous-<time>``) so that nothing of it is overwritten."""
    if run_dir.exists() and any(run_dir.iterdir()):
        target = run_dir.with_name(f"{run_dir.name}.previous-{datetime.now().strftime('%Y%m%d-%H%M%S')}")
        shutil.move(str(run_dir), str(target))
        echo(f"earlier results in {run_dir} moved to {target}")


def summary(run_dir: Path) -> str:
    """A few lines for the end of a run: the headline number of each table and where the files are."""
    lines = [f"results in {run_dir}: tables/, figures/, metrics/, submission/, notebooks/, manifest.json"]
    from wassa_lib.evaluation.records import Track2Record
    from wassa_lib.track1.table2_record import Table2Record

    metrics = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(metrics_dir(run_dir).glob("*.json"))}
    if Table2Record.NOTEBOOK in metrics:
        t2 = Table2Record.load(run_dir)
        lines.append(
            f"  Table 2: {t2.best_regressor} (chosen on validation) dev average Pearson "
            f"{t2.best_dev['average']:.4f}; floor {t2.floor_dev['average']:.4f}"
        )
    if Track2Record.NOTEBOOK in metrics:
        t4 = Track2Record.load(run_dir)
        lines.append(f"  Table 4: {t4.selected} dev macro-F1 {t4.models[t4.selected].macro_f1:.4f}")
    if "05_test" in metrics:
        lines.append(f"  Table 5: test macro-F1 {metrics['05_test']['macro_f1']:.4f}")
    return "\n".join(lines)
