"""Colab, simulated on a CPU: a stand-in ``google.colab`` whose ``drive.mount`` links a folder as ``MyDrive``."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from wassa_lib.runner import colab

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
STAND_IN = '''\
"""A stand-in for Colab's drive module: mount links $FAKE_DRIVE as <mountpoint>/MyDrive."""
import os
from pathlib import Path


def mount(mountpoint, force_remount=False):
    target = Path(mountpoint) / "MyDrive"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.symlink_to(os.environ["FAKE_DRIVE"])
'''


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_carries_the_setup_cell_after_its_parameters(notebook):
    cells = nbformat.read(notebook, as_version=4).cells
    index = next(i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", []))
    assert cells[index + 1].source == colab.setup_cell()


def test_setup_cell_has_no_placeholder_and_does_nothing_outside_colab(monkeypatch):
    assert "OWNER" not in colab.setup_cell()
    calls = []
    monkeypatch.setattr("subprocess.run", lambda *a, **k: calls.append(a))
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    namespace = {"profile": "cpu", "data_dir": ""}
    exec(colab.setup_cell(), namespace)
    assert calls == []
    assert {k for k in namespace if not k.startswith("__")} == {"profile", "data_dir", "os", "sys"}


@pytest.fixture()
def colab_machine(tmp_path, monkeypatch, maybe_real_dir, mock_2022):
    """A Colab machine: /content as a temporary folder, a Drive holding the kit and the WASSA files, and
    the stand-in google.colab importable by this process and by notebook kernels."""
    stand_in = tmp_path / "stand_in"
    (stand_in / "google" / "colab").mkdir(parents=True)
    # google stays a namespace package, as installed packages (protobuf) also use it
    (stand_in / "google" / "colab" / "__init__.py").write_text("")
    (stand_in / "google" / "colab" / "drive.py").write_text(STAND_IN)
    (stand_in / "sitecustomize.py").write_text("import google.colab  # Colab's kernel has it loaded\n")
    drive = tmp_path / "gdrive"
    shutil.copytree(REPO, drive / "wassa-kit", ignore=shutil.ignore_patterns(".venv", ".git", "outputs", "data"))
    shutil.copytree(maybe_real_dir or mock_2022, drive / "wassa2021")
    content = tmp_path / "content"
    content.mkdir()
    monkeypatch.setenv("FAKE_DRIVE", str(drive))
    monkeypatch.setenv(colab.ROOT_ENV, str(content))
    monkeypatch.setenv(colab.SCRATCH_ENV, "")  # configure() sets it; undone after the test
    monkeypatch.delenv(colab.SCRATCH_ENV)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(stand_in), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.syspath_prepend(str(stand_in))
    return {"drive": drive, "content": content, "stand_in": stand_in}


def _execute(notebook: Path, out: Path, **parameters) -> nbformat.NotebookNode:
    papermill.execute_notebook(
        str(notebook),
        str(out),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(notebook.parent),
        progress_bar=False,
    )
    return nbformat.read(out, as_version=4)


def _text(nb: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


@pytest.mark.slow  # a notebook executed twice in a simulated Colab: slow tier (make test-all)
def test_notebook_01_in_colab_writes_to_drive_and_resumes_on_a_new_machine(colab_machine, tmp_path):
    drive, content = colab_machine["drive"], colab_machine["content"]
    nb = _execute(REPO / "notebooks" / "01_data.ipynb", tmp_path / "first.ipynb", seed=7, allow_mock=True)
    run = drive / "wassa-kit-runs" / "cpu"
    assert (run / "tables" / "table1.csv").is_file()
    said = _text(nb)
    my_drive = content / "drive" / "MyDrive"
    assert f"data {my_drive / 'wassa2021'}" in said and "kept as set in the parameters cell: allow_mock, seed" in said
    assert "earlier results found" not in said
    shutil.rmtree(content)  # a new machine: a new local disk, the same Drive
    content.mkdir()
    again = _text(_execute(REPO / "notebooks" / "01_data.ipynb", tmp_path / "second.ipynb"))
    assert f"run folder {my_drive / 'wassa-kit-runs' / 'cpu'}; earlier results found there" in again


def test_the_setup_cell_without_a_kit_source_ends_in_one_line(colab_machine, tmp_path):
    shutil.rmtree(colab_machine["drive"] / "wassa-kit")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(colab.setup_cell())]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "bare.ipynb")
    with pytest.raises(PapermillExecutionError) as err:
        papermill.execute_notebook(
            str(tmp_path / "bare.ipynb"), str(tmp_path / "bare-out.ipynb"), kernel_name="python3", progress_bar=False
        )
    kit = colab_machine["content"] / "drive" / "MyDrive" / "wassa-kit"
    assert (err.value.ename, err.value.evalue) == (
        "SystemExit",
        f"no kit in {kit}: upload the repository folder there (or set GIT_URL in wassa_lib/runner/colab.py)",
    )
    executed = nbformat.read(tmp_path / "bare-out.ipynb", as_version=4)
    shown = [
        line
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.get("output_type") == "error"
        for line in o["traceback"]
    ]
    assert not any("Traceback" in line or "raise SystemExit" in line for line in shown), shown


def test_a_missing_drive_data_folder_says_what_was_looked_for(colab_machine):
    shutil.rmtree(colab_machine["drive"] / "wassa2021")
    with pytest.raises(
        colab.ColabSetupError,
        match=r"MyDrive/wassa2021: no WASSA files there .*MyDrive holds: "
        r"wassa-kit\. Upload the files",
    ):
        colab.configure({"profile": "cpu", "data_dir": ""}, cuda=False)


def test_user_values_win_and_the_gpu_brings_the_paper_profile(colab_machine):
    from wassa_lib.runner.params import load_params

    cpu = load_params("cpu")
    namespace = {k: cpu[k] for k in ("profile", "seed", "resume", "output_dir", "track1_training", "data_dir")}
    namespace["seed"] = 3
    updates = colab.configure(namespace, cuda=True)
    assert updates["profile"] == "paper" and updates["track1_training"] == load_params("paper")["track1_training"]
    assert "seed" not in updates and updates["resume"] is True
    assert updates["output_dir"].endswith("wassa-kit-runs/paper")
    assert os.environ[colab.SCRATCH_ENV] == str(colab_machine["content"] / "wassa-scratch")


def test_carer_comes_from_the_hub_when_drive_lacks_it(colab_machine, monkeypatch):
    class Split(list):
        features = {"label": type("L", (), {"names": ["sadness", "joy", "love", "anger", "fear", "surprise"]})()}

    release = {name: Split([{"text": f"i feel {name}", "label": 1}]) for name in ("train", "validation", "test")}
    asked = []
    monkeypatch.setattr("datasets.load_dataset", lambda *a, **k: asked.append(a) or release)
    from wassa_lib.runner.params import load_params

    cpu = load_params("cpu")
    updates = colab.configure({"profile": "cpu", "carer_dir": "", "track2_models": cpu["track2_models"]}, cuda=False)
    assert asked == [("dair-ai/emotion", "split")]
    carer = Path(updates["carer_dir"])
    assert (carer / "val.txt").read_text() == "i feel validation;joy\n"


def test_checkpoints_go_to_the_scratch_folder_when_set(tmp_path, monkeypatch):
    from wassa_lib.hf.training import checkpoint_dir

    monkeypatch.delenv(colab.SCRATCH_ENV, raising=False)
    assert checkpoint_dir(tmp_path / "model") == tmp_path / "model" / "checkpoints"
    monkeypatch.setenv(colab.SCRATCH_ENV, str(tmp_path / "scratch"))
    assert checkpoint_dir(tmp_path / "model").parent.parent == tmp_path / "scratch"
    assert checkpoint_dir(tmp_path / "a" / "model") != checkpoint_dir(tmp_path / "b" / "model")


def test_open_in_colab_links_come_from_the_one_configured_url():
    assert colab.open_links("") == []
    links = colab.open_links("https://github.com/someone/wassa-kit.git", "v1")
    assert links[0] == (
        "[01_data](https://colab.research.google.com/github/someone/wassa-kit/blob/v1/notebooks/01_data.ipynb)"
    ) and len(links) == len(NOTEBOOKS)
