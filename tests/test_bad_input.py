"""Bad input and interrupted runs: every case ends in one line naming what is wrong, and nothing earlier is lost."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_notebook

from wassa_lib.data.wassa import DataError, load_train
from wassa_lib.runner.predict import main_predict
from wassa_lib.runner.run import RunError, Runner

REPO = Path(__file__).resolve().parent.parent


def _clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("WASSA_DATA_DIR", "CARER_DATA_DIR")}
    return {**env, **extra}


def _cli(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wassa_lib", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env or _clean_env(),
        timeout=timeout,
    )


def _one_line(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stderr.strip().splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


@pytest.fixture()
def kit(tmp_path, mock_2022):
    """Two notebooks that print what they were given and fail when asked to; a third that sleeps when asked to."""
    notebooks, params = tmp_path / "notebooks", tmp_path / "params"
    notebooks.mkdir()
    params.mkdir()
    (params / "base.yaml").write_text(f"data_dir: {mock_2022}\nmessage: base\nmax_train_samples: null\n")
    (params / "tiny.yaml").write_text("message: tiny\n")
    for name in ("01_a", "02_b"):
        write_notebook(
            notebooks / f"{name}.ipynb",
            f"import os\nassert not os.path.exists({str(tmp_path / ('fail_' + name))!r}), "
            f"'asked to fail'\nprint('{name}', message)",
        )
    write_notebook(
        notebooks / "03_sleep.ipynb",
        f"import os, time\nif os.path.exists({str(tmp_path / 'sleep')!r}):\n"
        f"    open({str(tmp_path / 'sleeping')!r}, 'w').close()\n    time.sleep(60)",
    )
    return tmp_path


def _runner(kit: Path, **kwargs) -> Runner:
    return Runner(
        "tiny",
        output_dir=str(kit / "out"),
        log_output=False,
        echo=lambda _: None,
        notebooks_dir=kit / "notebooks",
        params_dir=kit / "params",
        **kwargs,
    )


# 1. a folder the user named that does not exist is an error, not synthetic data


def test_a_mistyped_wassa_data_dir_is_an_error(tmp_path):
    proc = _cli(
        "run",
        "--profile",
        "smoke",
        "--output-dir",
        str(tmp_path / "out"),
        "--only",
        "01",
        env=_clean_env(WASSA_DATA_DIR=str(tmp_path / "typo")),
    )
    assert proc.returncode == 1
    assert _one_line(proc) == f"error: {tmp_path / 'typo'}: WASSA data folder not found (named by $WASSA_DATA_DIR)"
    assert not (tmp_path / "out").exists()


def test_a_mistyped_carer_data_dir_is_an_error(tmp_path, mock_2022, monkeypatch):
    monkeypatch.setenv("CARER_DATA_DIR", str(tmp_path / "typo"))
    with pytest.raises(RunError, match=r"typo: CARER data folder not found \(named by \$CARER_DATA_DIR\)"):
        Runner(
            "smoke", data_dir=str(mock_2022), output_dir=str(tmp_path / "out"), only=["04"], echo=lambda _: None
        ).run()
    assert not (tmp_path / "out").exists()


def test_synthetic_data_is_announced_first(tmp_path, monkeypatch):
    from wassa_lib.settings import configs as config

    monkeypatch.setattr(config, "DEFAULT_WASSA_DIR", tmp_path / "absent")
    monkeypatch.delenv("WASSA_DATA_DIR", raising=False)
    said = []
    Runner("smoke", output_dir=str(tmp_path / "out"), only=["01"], echo=said.append).check([])
    assert said == ["data: synthetic WASSA files (asked for, or no folder named and none found)"]


# 2. a run that fails before it starts moves nothing aside


def test_a_run_that_cannot_start_leaves_the_earlier_run_in_place(kit, tmp_path):
    _runner(kit).run()
    before = (kit / "out" / "manifest.json").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text("max_train_samples: ten\n")
    with pytest.raises(RunError, match="bad.yaml: max_train_samples: expected an integer or null, got 'ten'"):
        _runner(kit, layers=[str(bad)]).run()
    with pytest.raises(RunError, match="WASSA data folder not found"):
        _runner(kit, data_dir=str(tmp_path / "nowhere")).run()
    assert not list(kit.glob("out.previous-*"))
    assert (kit / "out" / "manifest.json").read_text() == before


# 3. invalid YAML in --params


def test_invalid_yaml_is_one_line_with_line_and_column(tmp_path):
    layer = tmp_path / "layer.yaml"
    layer.write_text("seed: 1\nbootstrap_resamples: [1, 2\n")
    proc = _cli("run", "--profile", "smoke", "--params", str(layer), "--output-dir", str(tmp_path / "out"))
    assert proc.returncode == 1
    line = _one_line(proc)
    assert line.startswith(f"error: {layer}: line 3, column 1: invalid YAML")


# 4. parameters of the wrong type, named with their file, before any notebook runs


@pytest.mark.parametrize(
    "layer,message",
    [
        ("max_train_samples: ten", "max_train_samples: expected an integer or null, got 'ten'"),
        ("valid_fraction: 0.2x", "valid_fraction: expected a number, got '0.2x'"),
        (
            "track1_training: {model: tiny-encoder, epochs: three}",
            "track1_training.epochs: expected a number, got 'three'",
        ),
        ("track1_pooling: max", "track1_pooling: must be one of pooler, cls, mean, got 'max'"),
        ("seeds: [1, two]", "seeds: expected a non-empty list of integers"),
        ("track2_incremental: {max_train_samples: -3}", "track2_incremental.max_train_samples: must be positive"),
        (
            "track1_regressors: {svr: {C: 1.0, gamma_typo: 2}}",
            "track1_regressors.svr: unknown hyperparameter(s) gamma_typo",
        ),
    ],
)
def test_wrong_parameters_are_named_with_their_file(tmp_path, layer, message):
    path = tmp_path / "layer.yaml"
    path.write_text(layer + "\n")
    said = []
    with pytest.raises(RunError) as err:
        Runner("smoke", data_dir="mock", layers=[str(path)], output_dir=str(tmp_path / "out"), echo=said.append).run()
    assert str(err.value) == f"{path}: {message}" or str(err.value).startswith(f"{path}: {message}")
    assert not (tmp_path / "out").exists() and not said


def test_a_wrong_track2_model_entry_names_its_index(tmp_path):
    path = tmp_path / "layer.yaml"
    path.write_text("track2_models: [{name: a, family: generation, model: tiny-seq2seq, training: {epochs: three}}]\n")
    with pytest.raises(RunError, match=r"layer.yaml: track2_models\[0\]\.training\.epochs: expected a number"):
        Runner("smoke", data_dir="mock", layers=[str(path)], output_dir=str(tmp_path / "out")).run()


# 5. a failed rerun keeps the finished record


def test_a_failed_only_rerun_keeps_the_finished_notebook_and_params(kit, tmp_path):
    _runner(kit).run()
    executed = kit / "out" / "notebooks" / "02_b.ipynb"
    before = executed.read_bytes()
    (kit / "fail_02_b").touch()
    layer = tmp_path / "layer.yaml"
    layer.write_text("message: changed\n")
    with pytest.raises(RunError, match="02_b failed in cell"):
        _runner(kit, only=["02"], layers=[str(layer)]).run()
    manifest = json.loads((kit / "out" / "manifest.json").read_text())
    record = manifest["notebooks"]["02_b"]
    assert record["status"] == "done" and record["rerun"]["status"] == "failed"
    assert manifest["params"]["message"] == "tiny"
    assert executed.read_bytes() == before
    assert Path(record["rerun"]["executed"]) == kit / "out" / "notebooks" / "02_b.failed.ipynb"


# 9. Ctrl-C: one line, the manifest says interrupted, exit 130


def test_ctrl_c_is_one_line_and_marks_the_notebook_interrupted(kit):
    (kit / "sleep").touch()
    script = (
        f"import sys; from pathlib import Path; from wassa_lib.runner.run import main_run; "
        f"sys.exit(main_run('tiny', output_dir={str(kit / 'out')!r}, quiet=True, "
        f"notebooks_dir=Path({str(kit / 'notebooks')!r}), params_dir=Path({str(kit / 'params')!r})))"
    )
    # SIGINT's default action restored: a shell starts background jobs with it ignored, and children inherit that
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 120
    while not (kit / "sleeping").exists():
        assert time.time() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the runner and its kernel
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("interrupted in 03_sleep; `python -m wassa_lib run --profile tiny")
    assert "--resume" in lines[-1] and "Traceback" not in err
    record = json.loads((kit / "out" / "manifest.json").read_text())["notebooks"]["03_sleep"]
    assert record["status"] == "interrupted"


# 10. duplicate message ids


def test_a_repeated_message_id_names_both_lines(mock_2022, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(mock_2022, data)
    train = data / "messages_train_ready_for_WS.tsv"
    lines = train.read_text().splitlines()
    header = lines[0].split("\t")
    row = lines[5].split("\t")
    row[header.index("message_id")] = lines[2].split("\t")[header.index("message_id")]
    lines[5] = "\t".join(row)
    train.write_text("\n".join(lines) + "\n")
    repeated = lines[2].split("\t")[header.index("message_id")]
    with pytest.raises(DataError, match=rf"line 6, column message_id: '{repeated}' repeats line 3"):
        load_train(data)


# 13. the CARER files are checked before the first notebook


def test_broken_carer_files_stop_the_run_before_the_first_notebook(tmp_path, mock_2022, mock_carer):
    carer = tmp_path / "carer"
    shutil.copytree(mock_carer, carer)
    (carer / "train.txt").write_text("a fine line;joy\nno label here\n")
    said = []
    layer = tmp_path / "carer.yaml"
    layer.write_text(f"carer_dir: {carer}\n")
    with pytest.raises(RunError, match=r"train.txt: line 2: expected 'text;label'"):
        Runner(
            "smoke", data_dir=str(mock_2022), layers=[str(layer)], output_dir=str(tmp_path / "out"), echo=said.append
        ).run()
    assert not any(line.startswith("[1/") for line in said) and not (tmp_path / "out").exists()


# 6, 7, 8, 11, 12: predict


@pytest.fixture()
def essays_csv(tmp_path):
    def write(text: str, name: str = "in.csv") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


def test_predict_on_an_unfinished_run_is_one_line_and_exit_2(smoke_run, tmp_path, essays_csv, capsys):
    run = tmp_path / "run"
    (run / "artifacts" / "track1").mkdir(parents=True)
    shutil.copy(smoke_run / "artifacts" / "track1" / "encoders.json", run / "artifacts" / "track1")
    assert main_predict(str(run), str(essays_csv("essay\nan essay\n")), None, False) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"error: {run}: not a finished run: artifacts/track1/empathy_model/track1.json is missing "
        "(notebook 02 writes it); finish the run with `python -m wassa_lib run ... --resume`"
    ]


def test_predict_refuses_a_text_person_feature_with_its_line(smoke_run, essays_csv, capsys):
    source = essays_csv('essay,age\n"one essay",30\n"another\nessay",thirty\n')
    assert main_predict(str(smoke_run), str(source), None, False) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {source}: line 3, column age: expected a number or a blank, found 'thirty'"
    )


def test_predict_scores_rows_with_a_blank_person_feature_text_only(smoke_run, tmp_path, capsys, maybe_real_dir):
    from wassa_lib.data.wassa import PERSON_FEATURES

    frame = pd.DataFrame(
        {
            "essay": ["I feel so sad about the flood.", "It is unfair and I am angry."],
            **{c: [1.0, 2.0] for c in PERSON_FEATURES},
        }
    )
    frame.loc[1, "age"] = None
    source = tmp_path / "people.csv"
    frame.to_csv(source, index=False)
    assert main_predict(str(smoke_run), str(source), None, False) == 0
    out = pd.read_csv(tmp_path / "people.predictions.csv")
    assert out[["empathy", "distress"]].notna().all().all() and len(out) == 2


def test_predict_checks_the_output_path_before_scoring(smoke_run, tmp_path, essays_csv, capsys, monkeypatch):
    monkeypatch.setattr("wassa_lib.runner.predict.predict_frame", lambda *a, **k: pytest.fail("scored before checking"))
    source = essays_csv("essay\nan essay\n")
    assert main_predict(str(smoke_run), str(source), str(tmp_path / "no" / "such" / "out.csv"), False) == 2
    assert f"the folder {tmp_path / 'no' / 'such'} does not exist" in capsys.readouterr().err
    assert main_predict(str(smoke_run), str(source), str(tmp_path), False) == 2
    assert "is a folder; give a file name for --output" in capsys.readouterr().err


def test_predict_keeps_input_columns_named_like_its_predictions(smoke_run, essays_csv, tmp_path, capsys):
    source = essays_csv("essay,emotion\nI am so sad for them.,sadness\nWhat a nice story.,joy\n")
    assert main_predict(str(smoke_run), str(source), None, False) == 0
    out = pd.read_csv(tmp_path / "in.predictions.csv")
    assert list(out.columns) == ["essay", "emotion", "predicted_empathy", "predicted_distress", "predicted_emotion"]
    assert list(out["emotion"]) == ["sadness", "joy"]
    assert "predictions are written as predicted_empathy" in capsys.readouterr().err


def test_predict_reports_the_physical_line_of_an_empty_essay(smoke_run, essays_csv, capsys):
    source = essays_csv('id,essay\n1,"a long essay\nover three\nlines"\n2,"   "\n')
    assert main_predict(str(smoke_run), str(source), None, False) == 2
    assert capsys.readouterr().err.strip() == f"error: {source}: line 5, column essay: empty essay"
