"""``python -m wassa_lib record``: remake the committed run, ``outputs/cpu``, with one command.

The plan is the one place that says what the committed run is: the profile and its layers and the seeds,
the first of which writes the tables over seeds and the claims. The tuning grid (notebooks 01, 02, 04 per
learning rate, on the validation split; about 3.5 hours on 2 cores) that chose the profile's learning rates
runs first only when asked (``--tune``). The first call starts afresh (an earlier run folder is moved
aside, so every model comes from the code at hand); ``--resume`` goes on after an interruption. The
estimate of the time left comes from the profile's ``benchmark.json`` where there is one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from wassa_lib.runner.bench_record import Benchmark
from wassa_lib.runner.run import main_run
from wassa_lib.scoring.tables import Record
from wassa_lib.settings.layout import default_run_dir, manifest_path, seed_run_dir
from wassa_lib.settings.provenance import git_commit

TUNED = ("01_data", "02_track1_finetune", "04_track2_generation")


@dataclass(frozen=True)
class RecordPlan:
    """What the committed run is made of."""

    profile: str = "cpu"
    layers: tuple[str, ...] = ()  # the person-feature row stays in (no cpu-without-person-row layer)
    seeds: tuple[int, ...] = (42, 1, 2)
    tune: bool = False  # True: the tuning grid first (``record --tune``)


COMMITTED = RecordPlan()
COMMAND = "python -m wassa_lib record"


@dataclass
class RecordSummary(Record):
    """How the record was made (``metrics/record.json`` of its first seed's run folder): the command, the commit,
    and the time each seed's notebooks took, from the manifests of the record's run folders."""

    NOTEBOOK: ClassVar[str] = "record"
    command: str
    commit: str
    seeds: list[int]
    minutes_by_seed: list[float]  # the notebooks' wall time of each seed's run, in the order of ``seeds``
    started: str  # the earliest start and the latest finish over those runs (UTC)
    finished: str

    @property
    def minutes(self) -> float:
        """The notebooks' wall time over every seed: the record's cost, whatever pauses a resume left between."""
        return sum(self.minutes_by_seed)

    def per_seed(self, unit: str = "") -> str:
        """Each seed's minutes of notebooks, in the record's order."""
        return ", ".join(f"seed {s} {m:.0f}{unit}" for s, m in zip(self.seeds, self.minutes_by_seed, strict=True))


def summarise(plan: RecordPlan, run_dir: Path, commit: str) -> RecordSummary:
    """The summary of a finished record whose first seed ran in ``run_dir``."""
    folders = [run_dir, *(seed_run_dir(run_dir, seed) for seed in plan.seeds[1:])]
    manifests = [json.loads(manifest_path(folder).read_text(encoding="utf-8")) for folder in folders]
    return RecordSummary(
        command=COMMAND + (" --tune" if plan.tune else ""),
        commit=commit,
        seeds=list(plan.seeds),
        minutes_by_seed=[round(sum(nb["wall_s"] for nb in m["notebooks"].values()) / 60, 1) for m in manifests],
        started=min(m["started"] for m in manifests),
        finished=max(m["finished"] for m in manifests),
    )


def _minutes_per(plan: RecordPlan) -> tuple[float, float] | None:
    """Minutes for one tuning point and for one seed at the pace of the profile's benchmark, or None."""
    path = default_run_dir(plan.profile) / "benchmark.json"
    if not path.is_file():
        return None
    walls = {name: entry["wall_s"] for name, entry in Benchmark.load(path).notebooks.items()}
    return sum(walls.get(name, 0.0) for name in TUNED) / 60, sum(walls.values()) / 60


def _state(plan: RecordPlan) -> Path:
    """``outputs/<profile>.record.json``: the commit that started the record, kept beside its run folders."""
    return default_run_dir(plan.profile).with_name(f"{plan.profile}.record.json")


def _same_commit(plan: RecordPlan, resume: bool, echo: Callable[[str], None]) -> bool:
    """A record is made by one commit: a fresh start notes the commit (``outputs/<profile>.record.json``); a
    resumed one goes on only at that commit, so that every model of the record comes from the same code."""
    state = _state(plan)
    now = git_commit()
    if not resume or not state.is_file():
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(json.dumps({"commit": now, "started": time.strftime("%Y-%m-%d %H:%M")}) + "\n")
        return True
    started = json.loads(state.read_text(encoding="utf-8"))["commit"]
    if started != now or now.endswith("-dirty"):
        echo(
            f"record: started at {started[:12]}, the code is now {now[:12]}: go on at {started[:7]} "
            "(git worktree add <folder> " + started[:7] + ") or start afresh with `python -m wassa_lib record`"
        )
        return False
    return True


def remake(plan: RecordPlan = COMMITTED, resume: bool = False, echo: Callable[[str], None] = print) -> int:
    """Run the plan's tuning, then its seeds; returns the runner's exit status (0 when all finished)."""
    if not _same_commit(plan, resume, echo):
        return 1
    from wassa_lib.evaluation import tuning
    from wassa_lib.runner.params import resolve

    pace = _minutes_per(plan)
    grid_points = tuning.points(resolve(plan.profile, plan.layers)[0]) if plan.tune else 0
    steps = [("tuning", lambda r: main_run(plan.profile, layers=plan.layers, tune=True, resume=r))] if plan.tune else []
    steps.append(
        (
            "seeds " + " ".join(map(str, plan.seeds)),
            lambda r: main_run(plan.profile, layers=plan.layers, seeds=list(plan.seeds), resume=r),
        )
    )
    if pace:
        total = grid_points * pace[0] + len(plan.seeds) * pace[1]
        echo(
            f"record: {plan.profile} profile, {'tuning then ' if plan.tune else ''}seeds {plan.seeds}; "
            f"about {total:.0f} min at the pace "
            f"of outputs/{plan.profile}/benchmark.json"
        )
    start = time.perf_counter()
    for i, (name, step) in enumerate(steps, 1):
        echo(f"record: step {i} of {len(steps)}, {name} ({(time.perf_counter() - start) / 60:.0f} min so far)")
        status = step(resume)
        if status:
            echo(f"record: stopped in step {i}; `python -m wassa_lib record --resume` goes on from there")
            return status
    run_dir = default_run_dir(plan.profile)
    summary = summarise(plan, run_dir, json.loads(_state(plan).read_text(encoding="utf-8"))["commit"])
    summary.save(run_dir)
    echo(f"record: finished in {(time.perf_counter() - start) / 60:.0f} min ({summary.minutes:.0f} min of notebooks)")
    return 0
