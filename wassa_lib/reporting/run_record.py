"""One recorded run folder as the docs read it: its tables, metrics, manifest and benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from wassa_lib.evaluation.records import training_records
from wassa_lib.evaluation.seed_table import mean_of, sd_of
from wassa_lib.runner.bench_record import Benchmark
from wassa_lib.runner.record import RecordSummary
from wassa_lib.settings.layout import manifest_path, metrics_path, table_path


def markdown(frame: pd.DataFrame, floatfmt: str = ".3f") -> str:
    return frame.to_markdown(index=False, floatfmt=floatfmt)


def plus_minus(mean: float, sd: float) -> str:
    return f"{mean:.3f} ± {sd:.3f}" if pd.notna(sd) else f"{mean:.3f}"


def machine_cores(machine: dict) -> str:
    """The recording machine's cores and CPU, as the manifest and benchmark name them."""
    return f"{machine.get('cpu_count', '?')} cores of {machine.get('cpu') or 'a CPU'}"


class Run:
    """What the docs read from one recorded run folder."""

    def __init__(self, run_dir: Path) -> None:
        self.dir = Path(run_dir)
        self.manifest = json.loads(manifest_path(self.dir).read_text(encoding="utf-8"))

    def table(self, name: str) -> pd.DataFrame:
        return pd.read_csv(table_path(self.dir, name))

    def metrics(self, name: str) -> dict:
        return json.loads(metrics_path(self.dir, name).read_text(encoding="utf-8"))

    def has(self, name: str) -> bool:
        return table_path(self.dir, name).is_file()

    @property
    def seeds(self) -> list[int]:
        return self.metrics("05_claims")["seeds"]

    def over_seeds(self, name: str, headline: str, value: str | None = None) -> pd.DataFrame:
        """``<name>_seeds`` where the run has several seeds; with one, ``<name>`` in the same shape (``value``:
        the single run's column of the headline, no standard deviation)."""
        if self.has(f"{name}_seeds"):
            return self.table(f"{name}_seeds")
        table = self.table(name)
        if "source" in table.columns:  # the paper's rows are shown on their own
            table = table[~table["source"].str.startswith("paper")]
        numbers = [c for c in table.select_dtypes("number").columns if not c.startswith(("paper", "best_in_task"))]
        means = {mean_of(c): table[c] for c in numbers} | {mean_of(headline): table[value or headline]}
        return table.assign(**means, **{sd_of(c): float("nan") for c in [*numbers, headline]})

    def has_figure(self, name: str) -> bool:
        return (self.dir / "figures" / f"{name}.png").is_file()

    def section(self, name: str, floatfmt: str = ".3f") -> str:
        """A table of the run, or a line saying that this run does not have it."""
        return markdown(self.table(name), floatfmt) if self.has(name) else f"_No `{name}.csv` in this recorded run._"

    def trained_at(self) -> str:
        """Where this run folder's fine-tuned models (its own seed's) come from: the commits they were trained
        at, as each model's record says (a resumed run reads finished models back)."""
        entries = list(training_records(self.dir).values())
        commits = ", ".join(f"`{c}`" for c in sorted({e.commit for e in entries if e.trained_at}))
        unknown = sum(not e.trained_at for e in entries)
        seed = self.manifest["params"]["seed"]
        if not commits:
            return (
                f"seed {seed}'s {len(entries)} fine-tuned models read back from earlier runs, saved before a "
                "model recorded its commit"
            )
        return f"seed {seed}'s {len(entries)} fine-tuned models trained at {commits}" + (
            f" ({unknown} saved before a model recorded its commit)" if unknown else ""
        )

    def record_summary(self) -> RecordSummary | None:
        """The run's ``metrics/record.json``, or None where ``record`` did not make it."""
        return RecordSummary.load(self.dir) if metrics_path(self.dir, RecordSummary.NOTEBOOK).is_file() else None

    def baseline(self) -> str | None:
        """The commit of the benchmark the recorded one is compared with (``benchmark_<commit>.json``), or None."""
        found = sorted(self.dir.glob("benchmark_*.json"))
        return found[0].stem.removeprefix("benchmark_") if found else None

    def benchmark(self, commit: str | None = None) -> Benchmark | None:
        """``benchmark.json`` of the recorded commit, or with ``commit`` the one of that commit, timed on the same
        idle machine in the same sitting (``benchmark_<commit>.json``); None where the run has none."""
        path = self.dir / (f"benchmark_{commit}.json" if commit else "benchmark.json")
        return Benchmark.load(path) if path.is_file() else None

    def executed_at(self) -> str:
        """The commits the run's notebooks were executed at, as the manifest records them."""
        notebooks = self.manifest["notebooks"].values()
        return ", ".join(f"`{c}`" for c in sorted({nb["git_commit"][:7] for nb in notebooks if nb.get("git_commit")}))

    def hashed_data(self) -> str:
        """The data folders whose files the manifest hashes (keys ``<folder>/<file>``), with their file counts."""
        folders: dict[str, int] = {}
        for key in self.manifest.get("data_files", {}):
            folder = Path(key).parts[0]
            folders[folder] = folders.get(folder, 0) + 1
        return ", ".join(f"`{name}` ({n} files)" for name, n in folders.items()) or "none"

    def provenance(self) -> str:
        """One paragraph: profile and layers, data, seeds, commits, machine."""
        m, machine = self.manifest, self.manifest.get("machine", {})

        layers = ", ".join(f"`params/layers/{Path(p).name}`" for p in m.get("params_layers", []))
        return (
            f"Profile `{m['profile']}`"
            + (f" with {layers}" if layers else "")
            + f", data hashed in `outputs/cpu/manifest.json`: {self.hashed_data()}; seeds "
            + ", ".join(map(str, self.seeds))
            + f"; notebooks executed at {self.executed_at()}"
            + f"; {self.trained_at()}"
            + f"; machine: {machine_cores(machine)}, {machine.get('gpu') or 'no GPU'}."
        )
