"""The papermill runner: params profile → numbered notebooks → ``outputs/<profile>/`` with a manifest.

A run executes ``notebooks/0N_*.ipynb`` in order with the layered params
(``params/base.yaml`` then ``params/<profile>.yaml``), stops at the first failing
notebook, and records what it did in ``manifest.json``.

Before anything is written, every parameter and every data file the selected
notebooks read is checked; only then is an earlier run in the same folder moved
aside (``outputs/<profile>.previous-<time>``), unless the new run resumes it or
runs only some of its notebooks. A rerun of a finished notebook keeps the finished
record and executed notebook until the rerun has succeeded. A resumed run skips a
finished notebook only while its parameters are the recorded ones; from the first
notebook that runs again, every later one runs too (finished models with the same
settings are still reused).
"""

from __future__ import annotations

import hashlib
import json
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wassa_lib.data.wassa import DataError
from wassa_lib.runner import portable, preflight
from wassa_lib.runner.disk import is_no_space, no_space_message
from wassa_lib.runner.kernel import (
    NOTEBOOKS_DIR,
    kernel_manager_class,
    kernel_name,
    list_notebooks,
    notebook_parameters,
    stop_kernels,
)
from wassa_lib.runner.lock import RunLock
from wassa_lib.runner.manifest import DONE, FAILED, INTERRUPTED, RUNNING, Manifest, header, now, set_aside, summary
from wassa_lib.runner.params import PARAMS_DIR, RunError, available_profiles, load_params, resolve
from wassa_lib.settings.configs import RunConfig
from wassa_lib.settings.layout import default_run_dir, metrics_dir, seed_run_dir, tuning_run_dir
from wassa_lib.settings.provenance import PeakMemory

INTERRUPT_EXIT, TERMINATED_EXIT = 130, 143
_STOP_SIGNALS = ("SIGTERM", "SIGHUP")  # a scheduler, a time-out, a container stop, a closed terminal
__all__ = ["Runner", "RunError", "available_profiles", "load_params", "list_notebooks", "main_run"]


class Interrupted(RunError):
    """The user stopped the run (Ctrl-C, SIGTERM or SIGHUP)."""


@dataclass
class Runner:
    """Executes the notebooks of one profile into its run folder."""

    profile: str
    only: Sequence[str] | None = None
    layers: Sequence[str] = ()
    resume: bool = False
    rerun: bool = False
    data_dir: str | None = None
    output_dir: str | None = None
    seed: int | None = None
    seeds: Sequence[int] | None = None
    log_output: bool = True
    echo: Callable[[str], None] = print
    notebooks_dir: Path = NOTEBOOKS_DIR
    params_dir: Path = PARAMS_DIR
    overrides: dict = field(default_factory=dict)
    params: dict = field(init=False)

    def __post_init__(self) -> None:
        self.resume = self.resume or self.rerun  # a rerun reuses the finished models
        overrides = {key: (value, "--tune") for key, value in self.overrides.items()}  # a tuning run's rates
        overrides["data_dir"] = (self.data_dir, "--data-dir")
        self.params, self.origins = resolve(self.profile, self.layers, overrides, self.params_dir)
        out = Path(self.output_dir).expanduser().resolve() if self.output_dir else None
        if out is None and self.params.get("output_dir"):
            out = Path(self.params["output_dir"]).expanduser().resolve()
        if self.seed is not None and self.seed != self.params.get("seed"):
            self.params["seed"] = self.seed
            out = out or seed_run_dir(default_run_dir(self.profile), self.seed)
        self.out = out or default_run_dir(self.profile)
        self.params["output_dir"] = str(self.out)
        if self.seeds or self.seed is not None:  # notebook 05 aggregates these seeds' runs
            self.params["seeds"] = list(self.seeds or [self.params["seed"]])
            self.origins["seeds"] = Path("--seeds")
        self.manifest = Manifest(self.out)

    def check(self, notebooks: Sequence[Path]) -> RunConfig:
        """Everything that can be checked before a notebook runs (:func:`wassa_lib.runner.preflight.check`)."""
        return preflight.check(self.params, self.origins, notebooks, self.echo)

    def _resolve_data(self, cfg: RunConfig, notebooks: Sequence[Path]) -> None:
        """Turn the data parameters into the folders the notebooks read (synthetic files written now)."""
        self.params["data_dir"] = str(cfg.wassa_data_dir())
        if preflight.needs_carer(notebooks, self.params):
            self.params["carer_dir"] = str(cfg.carer_data_dir())
        elif preflight.uses_carer(self.params):  # not read by these notebooks, but hashed in the manifest
            try:
                carer = cfg.carer_data_dir(write_mock=False)
            except DataError:
                return
            if carer.is_dir():
                self.params["carer_dir"] = str(carer)

    def run(self) -> dict:
        """Execute the selected notebooks; returns the manifest. Raises RunError on the first failure
        (:class:`Interrupted` on Ctrl-C or SIGTERM), or at once where another run holds the folder."""
        if self.out.exists() and not self.out.is_dir():
            raise RunError(f"{self.out}: the run folder names a file, not a folder; choose another --output-dir")
        with RunLock(self.out):
            return self._run()

    def _run(self) -> dict:
        notebooks = list_notebooks(self.only, self.notebooks_dir)
        cfg = self.check(notebooks)
        previous = self.manifest.read()
        if not self.resume and not self.only:
            set_aside(self.out, self.echo)
            previous = {}
        self._resolve_data(cfg, notebooks)
        self.params["resume"] = self.resume
        data = [Path(self.params[k]) for k in ("data_dir", "carer_dir") if self.params.get(k)]
        self.replacements = portable.names(self.out, data)
        head = header(self.profile, self.params, self.layers, self.replacements)
        # An earlier run's header stands until a notebook of this run has finished.
        manifest = {**head, **previous} if previous else dict(head)
        manifest["notebooks"] = previous.get("notebooks", {})
        manifest.setdefault("started", now())
        executed_dir = self.out / "notebooks"
        executed_dir.mkdir(parents=True, exist_ok=True)
        kernel = kernel_name()
        changed = False  # once a notebook runs again, every later one does too
        for i, nb in enumerate(notebooks, 1):
            record = manifest["notebooks"].get(nb.stem, {})
            digest = self._digest(nb)
            if (
                self.resume
                and not self.rerun
                and record.get("status") == DONE
                and not changed
                and record.get("params_digest") == digest
            ):
                self.echo(f"[{i}/{len(notebooks)}] {nb.stem}: done in an earlier run, skipped")
                continue
            if self.resume and record.get("status") == DONE:
                self.echo(
                    f"[{i}/{len(notebooks)}] {nb.stem}: done in an earlier run with other parameters or "
                    "inputs; its finished models are reused where their settings match"
                )
            changed = True
            self.echo(f"[{i}/{len(notebooks)}] {nb.stem}: running ({self.profile} profile)")
            wall, memory = self._execute(nb, manifest, record, executed_dir, kernel)
            manifest.update(head)
            entry = {
                "status": DONE,
                "wall_s": round(wall, 1),
                "peak_rss_mb": round(memory.peak_mb, 1),
                "finished": now(),
                "git_commit": head["git_commit"],
                "params_digest": digest,
                "seeds": self.params.get("seeds"),
            }
            if memory.peak_gpu_mb is not None:
                entry["peak_gpu_mb"] = round(memory.peak_gpu_mb, 1)
            manifest["notebooks"][nb.stem] = entry
            self.manifest.write(manifest)
            gpu = "" if memory.peak_gpu_mb is None else f", GPU {memory.peak_gpu_mb:.0f} MB"
            self.echo(
                f"[{i}/{len(notebooks)}] {nb.stem}: done in {wall:.0f} s, peak memory {memory.peak_mb:.0f} MB{gpu}"
            )
        manifest["finished"] = now()
        self.manifest.write(manifest)
        self.echo(summary(self.out))
        return manifest

    def _digest(self, nb: Path) -> str:
        """A hash of the parameters notebook ``nb`` receives (``resume`` aside): a resumed run skips a
        finished notebook only when it equals the one recorded."""
        wanted = notebook_parameters(nb) - {"resume"}
        passed = {k: v for k, v in self.params.items() if k in wanted}
        return hashlib.sha256(json.dumps(passed, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def _execute(self, nb: Path, manifest: dict, record: dict, executed_dir: Path, kernel: str):
        """Run one notebook into a scratch file, put it in place only when it succeeded; on failure or
        Ctrl-C record what happened, keeping a finished record of the same notebook."""
        import papermill
        from papermill.exceptions import PapermillExecutionError

        wanted = notebook_parameters(nb)
        params = {k: v for k, v in self.params.items() if k in wanted}
        finished_before = record.get("status") == DONE
        scratch = executed_dir / f".{nb.stem}.running.ipynb"
        self.manifest.touched.add(nb.stem)
        if not finished_before:
            manifest["notebooks"][nb.stem] = {"status": RUNNING, "started": now()}
            self.manifest.write(manifest)
        start = time.perf_counter()

        def fail(status: str, message: str) -> Path:
            kept = executed_dir / (f"{nb.stem}.{status}.ipynb" if finished_before else nb.name)
            if scratch.exists():
                scratch.replace(kept)
            entry = {
                "status": status,
                "wall_s": round(time.perf_counter() - start, 1),
                "error": message,
                "executed": str(kept),
                "at": now(),
            }
            manifest["notebooks"][nb.stem] = {**record, "rerun": entry} if finished_before else entry
            self.manifest.write(manifest)
            return kept

        with PeakMemory() as memory:
            try:
                # The cells' printed and logged lines (progress, scores) go to the terminal as they come;
                # displayed tables and figures stay in the executed notebook.
                stream = sys.stdout if self.log_output else None
                papermill.execute_notebook(
                    str(nb),
                    str(scratch),
                    parameters=params,
                    kernel_name=kernel,
                    cwd=str(self.notebooks_dir),
                    log_output=False,
                    progress_bar=False,
                    stdout_file=stream,
                    stderr_file=stream,
                    kernel_manager_class=kernel_manager_class(executed_dir / "kernel.log"),
                )
            except (OSError, PapermillExecutionError) as err:
                if is_no_space(err if isinstance(err, OSError) else f"{err.ename}: {err.evalue}"):
                    scratch.unlink(missing_ok=True)  # the partial output: room for the manifest's line
                    message = f"{nb.stem}: {no_space_message(self.out, self._resume_command())}"
                    try:
                        fail(FAILED, message)
                    except OSError:  # still full: the manifest says running, which --resume reruns all the same
                        pass
                    raise RunError(message) from None
                if isinstance(err, OSError):
                    raise
                if err.ename == "KeyboardInterrupt":
                    kept = fail(INTERRUPTED, "interrupted")
                    raise Interrupted(self._interrupted_message(nb)) from None
                message = (
                    f"{nb.stem} failed in cell {err.exec_count}: {err.ename}: "
                    f"{str(err.evalue).splitlines()[0] if err.evalue else ''}"
                )
                kept = fail(FAILED, message)
                raise RunError(f"{message} (see {kept})") from None
            except KeyboardInterrupt:
                stop_kernels()
                fail(INTERRUPTED, "interrupted")
                raise Interrupted(self._interrupted_message(nb)) from None
        scratch.replace(executed_dir / nb.name)
        for written in [executed_dir / nb.name, *metrics_dir(self.out).glob("*.json")]:
            portable.make_portable(written, self.replacements)  # a shared stage's path, too, lies outside the run
        return time.perf_counter() - start, memory

    def _resume_command(self) -> str:
        where = f" --output-dir {self.out}" if self.out != default_run_dir(self.profile) else ""
        return f"python -m wassa_lib run --profile {self.profile}{where} --resume"

    def _interrupted_message(self, nb: Path) -> str:
        return f"interrupted in {nb.stem}; `{self._resume_command()}` goes on from there"


def run_seeds(profile: str, seeds: Sequence[int], output_dir: str | None = None, **runner_kwargs) -> dict:
    """The whole profile once per seed: every seed after the first into ``<run folder>-seed<N>``, then the
    first seed into the run folder itself, whose notebook 05 aggregates them all (``seeds`` parameter).
    With ``only``, just those notebooks of the first seed run, over the other seeds' finished runs."""
    if len(set(seeds)) != len(seeds):
        raise RunError(f"--seeds: each seed once, got {' '.join(map(str, seeds))}")
    main = Path(output_dir).expanduser().resolve() if output_dir else default_run_dir(profile)
    for seed in seeds[1:] if not runner_kwargs.get("only") else ():
        Runner(profile, seed=seed, output_dir=str(seed_run_dir(main, seed)), **runner_kwargs).run()
    return Runner(profile, seed=seeds[0], seeds=seeds, output_dir=str(main), **runner_kwargs).run()


def run_tuning(profile: str, output_dir: str | None = None, layers: Sequence[str] = (), **runner_kwargs) -> list[dict]:
    """Notebooks 01, 02 and 04 (or those of them in ``only``: ``--only 01 02`` tunes Track 1 alone) once per
    point of the profile's ``tuning_learning_rates`` grid, into ``<run folder>-tune<i>``
    (:mod:`wassa_lib.evaluation.tuning`); notebook 05 of the profile's run tabulates them."""
    from wassa_lib.evaluation import tuning

    only = tuple(runner_kwargs.pop("only", None) or tuning.NOTEBOOKS)
    if not set(only) <= set(tuning.NOTEBOOKS) or "01" not in only:
        raise RunError(f"--tune --only: notebook 01 and any of {', '.join(tuning.NOTEBOOKS[1:])}, got {' '.join(only)}")
    params, origins = resolve(profile, layers)
    try:
        n_points = tuning.points(params)
    except ValueError as err:
        raise RunError(f"{origins.get('tuning_learning_rates', 'parameter')}: {err}") from None
    main = Path(output_dir).expanduser().resolve() if output_dir else default_run_dir(profile)
    return [
        Runner(
            profile,
            only=only,
            layers=layers,
            output_dir=str(tuning_run_dir(main, point)),
            overrides=tuning.variant(params, point),
            **runner_kwargs,
        ).run()
        for point in range(1, n_points + 1)
    ]


def main_run(
    profile: str,
    only: Sequence[str] | None = None,
    resume: bool = False,
    data_dir: str | None = None,
    output_dir: str | None = None,
    quiet: bool = False,
    seed: int | None = None,
    layers: Sequence[str] = (),
    seeds: Sequence[int] | None = None,
    tune: bool = False,
    rerun: bool = False,
    **runner_kwargs,
) -> int:
    """CLI entry: a failure becomes one line on stderr and exit status 1; Ctrl-C one line and 130, SIGTERM
    or SIGHUP one line and 143 (the notebook is marked interrupted, its kernel shut down)."""
    stopped_by: list[str] = []

    def on_signal(signum, frame) -> None:
        stopped_by.append(signal.Signals(signum).name)
        raise KeyboardInterrupt

    previous = {sig: signal.signal(getattr(signal, sig), on_signal) for sig in _STOP_SIGNALS if hasattr(signal, sig)}
    try:
        return _main_run(
            profile,
            only,
            resume,
            data_dir,
            output_dir,
            quiet,
            seed,
            layers,
            seeds,
            tune,
            stopped_by,
            rerun=rerun,
            **runner_kwargs,
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(getattr(signal, sig), handler)


def _main_run(
    profile, only, resume, data_dir, output_dir, quiet, seed, layers, seeds, tune, stopped_by, **runner_kwargs
) -> int:
    status = lambda: TERMINATED_EXIT if stopped_by else INTERRUPT_EXIT  # noqa: E731
    try:
        kwargs = dict(only=only, layers=layers, resume=resume, data_dir=data_dir, log_output=not quiet, **runner_kwargs)
        if tune:
            run_tuning(profile, output_dir, **kwargs)
        elif seeds:
            run_seeds(profile, seeds, output_dir, **kwargs)
        else:
            Runner(profile, output_dir=output_dir, seed=seed, **kwargs).run()
    except Interrupted as err:
        print(f"{'stopped by ' + stopped_by[0] + ': ' if stopped_by else ''}{err}", file=sys.stderr)
        return status()
    except RunError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        if not is_no_space(err):
            raise
        folder = Path(output_dir) if output_dir else default_run_dir(profile)
        print(
            f"error: {no_space_message(folder, f'python -m wassa_lib run --profile {profile} --resume')}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("interrupted before any notebook ran; nothing was changed", file=sys.stderr)
        return status()
    return 0
