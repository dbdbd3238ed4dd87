"""Progress a person can follow: the library's log lines in a notebook, and a Trainer callback that reports
the model, epoch, step, validation metric and time left."""

from __future__ import annotations

import logging
import sys
import time
import warnings

from transformers import TrainerCallback

logger = logging.getLogger("wassa_lib.hf.progress")
REPORT_EVERY_S = 120.0  # a line within an epoch at most this often; one line per epoch besides


def show(level: int = logging.INFO) -> None:
    """Show the kit's log lines as plain text (in a notebook, in the cell's output; under the runner, in the
    terminal) and silence what a user cannot act on: the Hugging Face progress bars and advisory warnings."""
    import datasets
    import transformers

    # stdout: a notebook draws stderr as red boxes, which a reader takes for errors
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stdout, force=True)
    logging.getLogger("wassa_lib").setLevel(level)
    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    warnings.filterwarnings("ignore", message=".*gradient_checkpointing.*deprecated")
    warnings.filterwarnings("ignore", message=".*pin_memory.*")
    warnings.filterwarnings("ignore", category=FutureWarning)
    try:
        from tqdm import TqdmWarning

        warnings.filterwarnings("ignore", category=TqdmWarning)
    except ImportError:
        pass


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


class TrainingProgress(TrainerCallback):
    """Logs ``<label>: epoch e/E, step s/S (p%), elapsed, about t left`` at most every
    :data:`REPORT_EVERY_S` seconds within an epoch, and one line per epoch: its validation result with the
    time spent and left (a few lines per model, whatever its length)."""

    def __init__(self, label: str, every_s: float = REPORT_EVERY_S) -> None:
        self.label, self.every_s = label, every_s
        self.start = self.last = 0.0

    def on_train_begin(self, args, state, control, **kwargs):
        self.start = self.last = time.perf_counter()
        logger.info("%s: training, %d steps over %g epochs", self.label, state.max_steps, args.num_train_epochs)

    def _report(self, state) -> None:
        elapsed = time.perf_counter() - self.start
        done = state.global_step / max(state.max_steps, 1)
        left = elapsed / done - elapsed if done > 0 else float("nan")
        logger.info(
            "%s: epoch %.1f/%g, step %d/%d (%.0f%%), %s, about %s left",
            self.label,
            state.epoch or 0.0,
            state.num_train_epochs,
            state.global_step,
            state.max_steps,
            100 * done,
            _duration(elapsed),
            _duration(left) if left == left else "?",
        )
        self.last = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        if time.perf_counter() - self.last >= self.every_s:
            self._report(state)

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        shown = {
            k.removeprefix("eval_"): v
            for k, v in (metrics or {}).items()
            if k.startswith("eval_") and isinstance(v, float) and not k.endswith(("_runtime", "per_second"))
        }
        elapsed = time.perf_counter() - self.start
        done = state.global_step / max(state.max_steps, 1)
        left = f", at most {_duration(elapsed / done - elapsed)} left" if 0 < done < 1 else ""
        logger.info(
            "%s: epoch %.0f/%g validation %s; %s%s",
            self.label,
            state.epoch or 0.0,
            state.num_train_epochs,
            ", ".join(f"{k} {v:.4f}" for k, v in shown.items()),
            _duration(elapsed),
            left,
        )
        self.last = time.perf_counter()
