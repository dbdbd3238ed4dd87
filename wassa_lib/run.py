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

import json
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from .config import REPO_ROOT, RunConfig
from .claims import seed_run_dir
from .params import PARAMS_DIR, RunError, available_profiles, check_params, load_params, load_params_with_origins
from .paper import settings_table
from .provenance import PeakMemory, file_hashes, git_commit, machine, package_versions
from .runlock import RunLock

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
OUTPUTS_DIR = REPO_ROOT / "outputs"
KERNEL_NAME = "wassa-kit"
DONE, FAILED, RUNNING, INTERRUPTED = "done", "failed", "running", "interrupted"
INTERRUPT_EXIT = 130
__all__ = ["Runner", "RunError", "available_profiles", "load_params", "list_notebooks", "main_run"]


def list_notebooks(only: Sequence[str] | None = None, notebooks_dir: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The numbered notebooks in order, or those whose number or name prefix is in ``only``."""
    notebooks = sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb"))
    if not only:
        return notebooks
    picked = [nb for nb in notebooks if any(nb.name.startswith(sel) for sel in only)]
    unknown = [sel for sel in only if not any(nb.name.startswith(sel) for nb in notebooks)]
    if unknown:
        raise RunError(f"no notebook matches {', '.join(unknown)}; have {', '.join(nb.stem for nb in notebooks)}")
    return picked


def notebook_parameters(path: Path) -> set[str]:
    """Names declared in the notebook's tagged ``parameters`` cell."""
    import papermill

    return set(papermill.inspect_notebook(str(path)))


def kernel_name() -> str:
    """The kit's own kernel (registered in the environment by ``make env``) or the default one."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        return "python3"
    return KERNEL_NAME


def kernel_manager_class(log_path: Path) -> type:
    """An ``AsyncKernelManager`` whose kernel writes its own stderr (the transport warning, messages of a
    kernel stopped by Ctrl-C) to ``log_path`` instead of the terminal. Cell output is not affected: it
    reaches the runner over the kernel's message channels."""
    from jupyter_client import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            _KERNELS.append(self)
            # tqdm.auto warns at import that ipywidgets is absent: nothing a headless run can act on.
            kw["env"] = {**(kw.get("env") or os.environ), "PYTHONWARNINGS": "ignore::Warning:tqdm.auto"}
            log_path.parent.mkdir(parents=True, exist_ok=True)
            with log_path.open("ab") as log:
                kw["stderr"] = log
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    return QuietKernelManager


_KERNELS: list = []  # kernel managers this process started, for a shutdown when the runner is stopped


def _stop_kernels() -> None:
    """End the kernels this runner started and that still run (a SIGTERM reaches the runner alone)."""
    while _KERNELS:
        process = getattr(getattr(_KERNELS.pop(), "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=30)


class Interrupted(RunError):
    """The user stopped the run (Ctrl-C)."""


def default_run_dir(profile: str) -> Path:
    """``outputs/<profile>``: where the runner writes unless told otherwise."""
    return OUTPUTS_DIR / profile


def model_specs(params: dict, notebooks: Sequence[Path] | None = None) -> list[tuple[str, str, str]]:
    """``(top-level key, parameter, spec)`` of every model the notebooks (default: all) will load."""
    numbers = {nb.name[:2] for nb in (notebooks if notebooks is not None else list_notebooks())}
    specs = []
    if numbers & {"02", "03", "05"}:
        specs.append(("track1_training", "track1_training.model", (params.get("track1_training") or {}).get("model")))
    if numbers & {"03", "04"}:
        specs.append(("floor_encoder", "floor_encoder", params.get("floor_encoder")))
    if numbers & {"04", "05"}:
        specs += [("track2_models", f"track2_models[{i}].model", m.get("model"))
                  for i, m in enumerate(params.get("track2_models") or []) if isinstance(m, dict)]
    return [(key, name, spec) for key, name, spec in specs if key in params]


def check_model_specs(params: dict, origins: dict, notebooks: Sequence[Path]) -> None:
    """Every model spec the selected notebooks will load can be resolved (:func:`wassa_lib.models.check_spec`);
    else one line naming the file and the parameter that set it."""
    from .models import ModelSpecError, check_spec

    for key, name, spec in model_specs(params, notebooks):
        try:
            check_spec(spec)
        except ModelSpecError as err:
            raise RunError(f"{origins.get(key, 'parameter')}: {name}: {err}") from None


def _needs_carer(notebooks: Sequence[Path], params: dict) -> bool:
    return any(nb.name.startswith("04") for nb in notebooks) and any(
        isinstance(m, dict) and m.get("incremental") for m in params.get("track2_models", []))


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
        self.params, self.origins = load_params_with_origins(self.profile, self.params_dir, self.layers)
        for key, value in self.overrides.items():  # a tuning run's learning rates
            self.params[key] = value
            self.origins[key] = Path("--tune")
        if self.data_dir:
            self.params["data_dir"] = self.data_dir
            self.origins["data_dir"] = Path("--data-dir")
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
        self.manifest_path = self.out / "manifest.json"
        self._touched: set[str] = set()

    def _read_manifest(self) -> dict:
        return json.loads(self.manifest_path.read_text(encoding="utf-8")) if self.manifest_path.is_file() else {}

    def _write_manifest(self, manifest: dict) -> None:
        """Write atomically, keeping the records of notebooks that another run wrote meanwhile."""
        self.out.mkdir(parents=True, exist_ok=True)
        on_disk = self._read_manifest().get("notebooks", {})
        mine = {name: manifest["notebooks"][name] for name in self._touched}
        manifest["notebooks"] = {**manifest["notebooks"], **on_disk, **mine}
        tmp = self.manifest_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(self.manifest_path)

    def _set_aside_previous(self) -> None:
        """Move an earlier run's folder aside so that nothing of it is overwritten."""
        if self.out.exists() and any(self.out.iterdir()):
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            target = self.out.with_name(f"{self.out.name}.previous-{stamp}")
            shutil.move(str(self.out), str(target))
            self.echo(f"earlier results in {self.out} moved to {target}")

    def check(self, notebooks: Sequence[Path]) -> RunConfig:
        """Everything that can be checked before a notebook runs: every parameter's type and range, the
        WASSA files, and the CARER files where notebook 04 will read them. Writes nothing."""
        from .carer import load_carer
        from .data import DataError, load_splits

        cfg = check_params(self.params, self.origins)
        check_model_specs(self.params, self.origins, notebooks)
        try:
            if cfg.uses_mock_wassa():
                self.echo("data: synthetic WASSA files (no data folder named, and data/wassa2021 is absent)")
            else:
                wassa = cfg.wassa_data_dir()
                load_splits(wassa)
                self.echo(f"data: {wassa}")
            if _needs_carer(notebooks, self.params):
                if cfg.uses_mock_carer():
                    self.echo("CARER data: synthetic files")
                else:
                    carer = cfg.carer_data_dir()
                    load_carer(carer)
                    self.echo(f"CARER data: {carer}")
        except DataError as err:
            raise RunError(str(err)) from None
        return cfg

    def _resolve_data(self, cfg: RunConfig, notebooks: Sequence[Path]) -> None:
        """Turn the data parameters into the folders the notebooks read (synthetic files written now)."""
        self.params["data_dir"] = str(cfg.wassa_data_dir())
        if _needs_carer(notebooks, self.params):
            self.params["carer_dir"] = str(cfg.carer_data_dir())

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
        previous = self._read_manifest()
        if not self.resume and not self.only:
            self._set_aside_previous()
            previous = {}
        self._resolve_data(cfg, notebooks)
        self.params["resume"] = self.resume
        header = {"profile": self.profile, "params": self.params,
                  "params_layers": [str(Path(p).resolve()) for p in self.layers], "git_commit": git_commit(),
                  "paper_settings": settings_table(self.params),
                  "packages": package_versions(), "machine": machine(),
                  "data_files": file_hashes(Path(self.params["data_dir"]),
                                            *([Path(self.params["carer_dir"])] if self.params.get("carer_dir") else []))}
        # An earlier run's header stands until a notebook of this run has finished.
        manifest = {**header, **previous} if previous else dict(header)
        manifest["notebooks"] = previous.get("notebooks", {})
        manifest.setdefault("started", _now())
        executed_dir = self.out / "notebooks"
        executed_dir.mkdir(parents=True, exist_ok=True)
        kernel = kernel_name()
        changed = False  # once a notebook runs again, every later one does too
        for i, nb in enumerate(notebooks, 1):
            record = manifest["notebooks"].get(nb.stem, {})
            digest = self._digest(nb)
            if (self.resume and not self.rerun and record.get("status") == DONE and not changed
                    and record.get("params_digest") == digest):
                self.echo(f"[{i}/{len(notebooks)}] {nb.stem}: done in an earlier run, skipped")
                continue
            if self.resume and record.get("status") == DONE:
                self.echo(f"[{i}/{len(notebooks)}] {nb.stem}: done in an earlier run with other parameters or "
                          "inputs; its finished models are reused where their settings match")
            changed = True
            self.echo(f"[{i}/{len(notebooks)}] {nb.stem}: running ({self.profile} profile)")
            wall, memory = self._execute(nb, manifest, record, executed_dir, kernel)
            manifest.update(header)
            manifest["notebooks"][nb.stem] = {"status": DONE, "wall_s": round(wall, 1),
                                              "peak_rss_mb": round(memory.peak_mb, 1), "finished": _now(),
                                              "git_commit": header["git_commit"], "params_digest": digest,
                                              "seeds": self.params.get("seeds")}
            if memory.peak_gpu_mb is not None:
                manifest["notebooks"][nb.stem]["peak_gpu_mb"] = round(memory.peak_gpu_mb, 1)
            self._write_manifest(manifest)
            gpu = "" if memory.peak_gpu_mb is None else f", GPU {memory.peak_gpu_mb:.0f} MB"
            self.echo(f"[{i}/{len(notebooks)}] {nb.stem}: done in {wall:.0f} s, peak memory {memory.peak_mb:.0f} MB{gpu}")
        manifest["finished"] = _now()
        self._write_manifest(manifest)
        self.echo(summary(self.out))
        return manifest

    def _digest(self, nb: Path) -> str:
        """A hash of the parameters notebook ``nb`` receives (``resume`` aside): a resumed run skips a
        finished notebook only when it equals the one recorded."""
        import hashlib

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
        self._touched.add(nb.stem)
        if not finished_before:
            manifest["notebooks"][nb.stem] = {"status": RUNNING, "started": _now()}
            self._write_manifest(manifest)
        start = time.perf_counter()

        def fail(status: str, message: str) -> Path:
            kept = executed_dir / (f"{nb.stem}.{status}.ipynb" if finished_before else nb.name)
            if scratch.exists():
                scratch.replace(kept)
            entry = {"status": status, "wall_s": round(time.perf_counter() - start, 1), "error": message,
                     "executed": str(kept), "at": _now()}
            manifest["notebooks"][nb.stem] = {**record, "rerun": entry} if finished_before else entry
            self._write_manifest(manifest)
            return kept

        with PeakMemory() as memory:
            try:
                # The cells' printed and logged lines (progress, scores) go to the terminal as they come;
                # displayed tables and figures stay in the executed notebook.
                stream = sys.stdout if self.log_output else None
                papermill.execute_notebook(str(nb), str(scratch), parameters=params, kernel_name=kernel,
                                           cwd=str(self.notebooks_dir), log_output=False, progress_bar=False,
                                           stdout_file=stream, stderr_file=stream,
                                           kernel_manager_class=kernel_manager_class(executed_dir / "kernel.log"))
            except PapermillExecutionError as err:
                if err.ename == "KeyboardInterrupt":
                    kept = fail(INTERRUPTED, "interrupted")
                    raise Interrupted(self._interrupted_message(nb)) from None
                message = (f"{nb.stem} failed in cell {err.exec_count}: {err.ename}: "
                           f"{str(err.evalue).splitlines()[0] if err.evalue else ''}")
                kept = fail(FAILED, message)
                raise RunError(f"{message} (see {kept})") from None
            except KeyboardInterrupt:
                _stop_kernels()
                fail(INTERRUPTED, "interrupted")
                raise Interrupted(self._interrupted_message(nb)) from None
        scratch.replace(executed_dir / nb.name)
        return time.perf_counter() - start, memory

    def _interrupted_message(self, nb: Path) -> str:
        where = f" --output-dir {self.out}" if self.out != default_run_dir(self.profile) else ""
        return (f"interrupted in {nb.stem}; `python -m wassa_lib run --profile {self.profile}{where} --resume` "
                "goes on from there")


def summary(run_dir: Path) -> str:
    """A few lines for the end of a run: the headline number of each table and where the files are."""
    lines = [f"results in {run_dir}: tables/, figures/, metrics/, submission/, notebooks/, manifest.json"]
    metrics = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((run_dir / "metrics").glob("*.json"))}
    if "03_regressor_comparison" in metrics:
        m = metrics["03_regressor_comparison"]
        lines.append(f"  Table 2: {m['best_regressor']} (chosen on validation) dev average Pearson "
                     f"{m['best_dev']['average']:.4f}; floor {m['floor_dev']['average']:.4f}")
    if "04_track2" in metrics:
        m = metrics["04_track2"]
        lines.append(f"  Table 4: {m['selected']} dev macro-F1 {m['models'][m['selected']]['macro_f1']:.4f}")
    if "05_test" in metrics:
        lines.append(f"  Table 5: test macro-F1 {metrics['05_test']['macro_f1']:.4f}")
    return "\n".join(lines)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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
    """Notebooks 01, 02 and 04 once per point of the profile's ``tuning_learning_rates`` grid, into
    ``<run folder>-tune<i>`` (:mod:`wassa_lib.tuning`); notebook 05 of the profile's run tabulates them."""
    from . import tuning

    if runner_kwargs.pop("only", None):
        raise RunError(f"--tune runs notebooks {', '.join(tuning.NOTEBOOKS)} of each tuning run; drop --only")
    params, origins = load_params_with_origins(profile, PARAMS_DIR, layers)
    try:
        n_points = tuning.points(params)
    except ValueError as err:
        raise RunError(f"{origins.get('tuning_learning_rates', 'parameter')}: {err}") from None
    main = Path(output_dir).expanduser().resolve() if output_dir else default_run_dir(profile)
    return [Runner(profile, only=tuning.NOTEBOOKS, layers=layers, output_dir=str(tuning.tuning_run_dir(main, point)),
                   overrides=tuning.variant(params, point), **runner_kwargs).run()
            for point in range(1, n_points + 1)]


TERMINATED_EXIT = 143
_STOP_SIGNALS = ("SIGTERM", "SIGHUP")  # a scheduler, a time-out, a container stop, a closed terminal


def main_run(profile: str, only: Sequence[str] | None = None, resume: bool = False, data_dir: str | None = None,
             output_dir: str | None = None, quiet: bool = False, seed: int | None = None, layers: Sequence[str] = (),
             seeds: Sequence[int] | None = None, tune: bool = False, rerun: bool = False, **runner_kwargs) -> int:
    """CLI entry: a failure becomes one line on stderr and exit status 1; Ctrl-C one line and 130, SIGTERM
    or SIGHUP one line and 143 (the notebook is marked interrupted, its kernel shut down)."""
    stopped_by: list[str] = []

    def on_signal(signum, frame) -> None:
        stopped_by.append(signal.Signals(signum).name)
        raise KeyboardInterrupt

    previous = {sig: signal.signal(getattr(signal, sig), on_signal) for sig in _STOP_SIGNALS
                if hasattr(signal, sig)}
    try:
        return _main_run(profile, only, resume, data_dir, output_dir, quiet, seed, layers, seeds, tune,
                         stopped_by, rerun=rerun, **runner_kwargs)
    finally:
        for sig, handler in previous.items():
            signal.signal(getattr(signal, sig), handler)


def _main_run(profile, only, resume, data_dir, output_dir, quiet, seed, layers, seeds, tune, stopped_by,
              **runner_kwargs) -> int:
    status = lambda: TERMINATED_EXIT if stopped_by else INTERRUPT_EXIT  # noqa: E731
    try:
        kwargs = dict(only=only, layers=layers, resume=resume, data_dir=data_dir, log_output=not quiet,
                      **runner_kwargs)
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
    except KeyboardInterrupt:
        print("interrupted before any notebook ran; nothing was changed", file=sys.stderr)
        return status()
    return 0
