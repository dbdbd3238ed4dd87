"""One fine-tuning as a job: run in the notebook's own process, or started under torchrun on N processes.

A job is ``track1:<score>`` (an encoder of notebook 02), ``track2:<model name>`` (one row of Table 4, both
stages where incremental) or ``carer:<model name>`` (the CARER stage alone). ``python -m wassa_lib train``
runs one job with the functions the notebooks call, so it can be started by ``torchrun`` or
``accelerate launch``. Under a launcher every process trains and evaluates (so all agree on the best
epoch), the params' global batch is shared by the processes, and only the main process writes.

A notebook whose ``launcher`` parameter is ``torchrun:N`` starts each job so and then reads its result
back as it reads a finished model of an earlier run: the job's settings are the notebook's, so the
saved model is reused rather than trained again.
"""

from __future__ import annotations

import logging
import subprocess
import sys

import yaml

from wassa_lib.data.wassa import SCORES
from wassa_lib.runner.params import RunError, check_params, resolve
from wassa_lib.settings.configs import Launcher, RunConfig, TrainingConfig
from wassa_lib.settings.layout import track1_dir, track2_dir

logger = logging.getLogger(__name__)
KINDS = ("track1", "track2", "carer")
LAUNCH_DIR = "launch"


def parse_job(job: str) -> tuple[str, str]:
    """``(kind, name)`` of a job spec; a ValueError names what is accepted."""
    kind, _, name = job.partition(":")
    if kind not in KINDS or not name:
        raise ValueError(f"job {job!r}: expected track1:<score>, track2:<model name> or carer:<model name>")
    if kind == "track1" and name not in (*SCORES, "joint"):
        raise ValueError(f"job {job!r}: the Track-1 encoders are {', '.join(SCORES)} and joint")
    return kind, name


def run_job(job: str, params: dict) -> None:
    """Run one fine-tuning of the (checked) ``params``; it saves what the notebooks read back."""
    from wassa_lib import track2
    from wassa_lib.data.carer import load_carer
    from wassa_lib.track1 import finetune as track1

    kind, name = parse_job(job)
    cfg = check_params(params)
    splits = cfg.load_splits()
    fit, valid = cfg.split(splits.train)
    if kind == "track1":
        training = TrainingConfig.from_params(params["track1_training"], seed=cfg.seed, where="track1_training")
        track1.fine_tune(
            name,
            fit,
            valid,
            training,
            track1.model_dir(track1_dir(cfg.out), name),
            cfg.resume,
            dev=None if name == track1.JOINT else splits.dev,  # dev_selection.csv reads the two encoders' dev only
            head=params["track1_head"],
        )
        return
    specs = {entry.get("name"): entry for entry in params["track2_models"]}
    if name not in specs:
        raise ValueError(f"job {job!r}: no model of that name in track2_models ({', '.join(map(str, specs))})")
    spec = track2.Track2Model.from_params(specs[name], cfg.seed, where=f"track2_models[{name}]")
    incremental = track2.IncrementalConfig.from_params(params["track2_incremental"], cfg.seed)
    carer = load_carer(cfg.carer_data_dir()) if spec.incremental else None
    root = track2_dir(cfg.out)
    if kind == "carer":
        if carer is None:
            raise ValueError(f"job {job!r}: {name} is not incremental; it has no CARER stage")
        track2.train_stage1(
            spec.training.model,
            carer,
            incremental,
            track2.stage1_dir(incremental.stage_root(cfg.out), spec.training.model),
            incremental.training.seed,
            cfg.resume,
            corpus=list(fit["essay"]),
            same_commit=incremental.shared,
        )
        return
    stage_root = incremental.stage_root(cfg.out)
    track2.run_model(
        spec, fit, valid, splits.dev, root, carer, incremental, cfg.resume, test=splits.test, stage_root=stage_root
    )


def start(launcher: str, job: str, cfg: RunConfig, sections: dict) -> bool:
    """From a notebook: run ``job`` through ``launcher`` with the notebook's run settings and the
    params ``sections`` it trains from. Returns False inline (the notebook trains itself), True once
    the launched job has finished; a failed job is a RunError naming it and its log."""
    chosen = Launcher.parse(launcher)
    if chosen.inline:
        return False
    folder = cfg.out / LAUNCH_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stem = job.replace(":", "-")
    layer = folder / f"{stem}.yaml"
    settings = {
        "data_dir": str(cfg.wassa_data_dir()),
        "output_dir": str(cfg.out),
        "seed": cfg.seed,
        "valid_fraction": cfg.valid_fraction,
        "max_train_samples": cfg.max_train_samples,
        "resume": cfg.resume,
        "allow_mock": False,
        **sections,
    }
    if cfg.carer_dir or "track2_models" in sections:
        settings["carer_dir"] = str(cfg.carer_data_dir())
    layer.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    log = folder / f"{stem}.log"
    logger.info("%s: %d processes under torchrun (log %s)", job, chosen.processes, log)
    with (
        log.open("w", encoding="utf-8") as out,
        subprocess.Popen(
            chosen.command(cfg.profile, layer, job), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as proc,
    ):
        for line in proc.stdout:
            out.write(line)
            if not line.startswith(("W", "[W")):  # torchrun's own warnings stay in the log
                logger.info("%s", line.rstrip())
        code = proc.wait()
    if code:
        raise RunError(f"job {job} failed under torchrun (exit {code}); see {log}")
    return True


def main_train(
    profile: str,
    job: str,
    layers: list[str],
    data_dir: str | None = None,
    output_dir: str | None = None,
    seed: int | None = None,
    resume: bool = False,
) -> int:
    """``python -m wassa_lib train``: one job of the profile; errors are one line and exit 1."""
    from wassa_lib.hf.progress import show
    from wassa_lib.hf.training import is_main_process

    show(logging.INFO if is_main_process() else logging.WARNING)
    try:
        parse_job(job)
        params, origins = resolve(
            profile,
            layers,
            {
                "data_dir": (data_dir, "--data-dir"),
                "output_dir": (output_dir, "--output-dir"),
                "seed": (seed, "--seed"),
                "resume": (resume or None, "--resume"),
            },
        )
        check_params(params, origins)
        run_job(job, params)
    except (RunError, ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0
