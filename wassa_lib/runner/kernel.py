"""The numbered notebooks and the Jupyter kernel that executes them: which notebooks, which parameters each
declares, which kernel, and ending the kernels a stopped runner started."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from wassa_lib.runner.params import RunError
from wassa_lib.settings.configs import REPO_ROOT

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
KERNEL_NAME = "wassa-kit"
_KERNELS: list = []  # kernel managers this process started, for a shutdown when the runner is stopped


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
    kernel stopped by Ctrl-C) to ``log_path`` instead of the terminal, and which :func:`stop_kernels` can
    end. Cell output is not affected: it reaches the runner over the kernel's message channels."""
    from jupyter_client import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw):
            """The public start (nbclient calls it); its keywords reach the kernel's ``Popen``."""
            _KERNELS.append(self)
            # tqdm.auto warns at import that ipywidgets is absent: nothing a headless run can act on.
            kw["env"] = {**(kw.get("env") or os.environ), "PYTHONWARNINGS": "ignore::Warning:tqdm.auto"}
            log_path.parent.mkdir(parents=True, exist_ok=True)
            with log_path.open("ab") as log:
                kw["stderr"] = log
                return await super().start_kernel(**kw)

    return QuietKernelManager


def stop_kernels() -> None:
    """End the kernels this runner started and that still run (a SIGTERM reaches the runner alone)."""
    while _KERNELS:
        process = getattr(getattr(_KERNELS.pop(), "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=30)
