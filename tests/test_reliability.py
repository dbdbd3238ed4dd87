"""Faults a user meets: two runs in one folder, a stopped run, files saved by Windows programs, a run folder
that is a file, a model spec that cannot load, Colab without a GPU, SentencePiece-only checkpoints."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomllib
from conftest import mini_kit, mini_runner

from wassa_lib.data.wassa import DataError, load_dev, load_train
from wassa_lib.hf.models import REQUIRED_PACKAGE, load_model
from wassa_lib.runner.lock import RunLock
from wassa_lib.runner.params import load_params
from wassa_lib.runner.predict import read_essays
from wassa_lib.runner.preflight import model_specs
from wassa_lib.runner.run import RunError
from wassa_lib.settings.layout import lock_path

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture()
def kit(tmp_path, mock_2022):
    """Two quick notebooks and one that records its kernel's pid and sleeps."""
    return mini_kit(
        tmp_path,
        f"data_dir: {mock_2022}\nmessage: base\nmax_train_samples: null\ntrack1_training: {{model: tiny-encoder}}\n",
        {
            "01_a": "print('01_a', message)",
            "02_b": "print('02_b', message)",
            "03_sleep": f"import os, time\nopen({str(tmp_path / 'kernel.pid')!r}, 'w').write(str(os.getpid()))\n"
            "time.sleep(120)",
        },
    )


_runner = mini_runner


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# 1. two runs, one folder


def test_a_second_run_into_a_busy_folder_stops_at_once_naming_the_first(kit):
    with RunLock(kit / "out"):
        with pytest.raises(RunError, match=rf"another run is using this folder \(pid {os.getpid()}, started 20"):
            _runner(kit, only=["01"]).run()
    assert not (kit / "out" / "manifest.json").exists()


def test_a_lock_left_by_a_killed_run_blocks_nothing(kit):
    stale = lock_path(kit / "out")
    stale.write_text(json.dumps({"pid": 999999, "started": "2020-01-01T00:00:00+00:00"}))
    manifest = _runner(kit, only=["01"]).run()
    assert manifest["notebooks"]["01_a"]["status"] == "done"


# 2. SIGTERM as Ctrl-C: interrupted, one line with --resume, kernel shut down, 143


def test_sigterm_marks_the_notebook_interrupted_and_ends_its_kernel(kit):
    script = (
        f"import sys; from pathlib import Path; from wassa_lib.runner.run import main_run; "
        f"sys.exit(main_run('tiny', output_dir={str(kit / 'out')!r}, quiet=True, "
        f"notebooks_dir=Path({str(kit / 'notebooks')!r}), params_dir=Path({str(kit / 'params')!r})))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        start_new_session=True,
    )
    pid_file, deadline = kit / "kernel.pid", time.time() + 120
    while not (pid_file.exists() and pid_file.read_text()):
        assert time.time() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)  # the runner alone, as a scheduler or a container stop sends it
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("stopped by SIGTERM: interrupted in 03_sleep;") and "--resume" in last, err
    assert "Traceback" not in err
    record = json.loads((kit / "out" / "manifest.json").read_text())["notebooks"]["03_sleep"]
    assert record["status"] == "interrupted"
    assert not _alive(int(pid_file.read_text()))


# 3. byte-order marks and UTF-16


def test_a_gold_file_with_a_byte_order_mark_keeps_every_row(mock_2022, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(mock_2022, data)
    expected = len(load_dev(data))
    for name in ("goldstandard_dev_2022.tsv", "messages_train_ready_for_WS.tsv"):
        path = data / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(load_dev(data)) == expected
    assert "message_id" in load_train(data).columns


def test_a_utf16_file_is_named_as_such(mock_2022, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(mock_2022, data)
    path = data / "goldstandard_dev_2022.tsv"
    path.write_text(path.read_text(encoding="utf-8"), encoding="utf-16")
    with pytest.raises(DataError, match=r"goldstandard_dev_2022.tsv: encoded as UTF-16; save it as UTF-8"):
        load_dev(data)
    essays = tmp_path / "essays.csv"
    essays.write_bytes(b"\xef\xbb\xbfessay\nI felt sad.\n")
    assert list(read_essays(essays).columns) == ["essay"]


# 4. a run folder that is a file


def test_an_output_dir_naming_a_file_is_one_line(tmp_path):
    target = tmp_path / "results.txt"
    target.write_text("keep me")
    proc = subprocess.run(
        [sys.executable, "-m", "wassa_lib", "run", "--profile", "smoke", "--output-dir", str(target)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        f"error: {target}: the run folder names a file, not a folder; choose another --output-dir"
    )
    assert target.read_text() == "keep me"


# 5. a model spec that cannot load, found before notebook 01 runs


def test_an_unresolvable_model_spec_names_the_file_and_parameter_before_anything_runs(kit, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    layer = kit / "typo.yaml"
    layer.write_text("track1_training: {model: packaged-minilmx}\n")
    with pytest.raises(RunError) as err:
        _runner(kit, layers=[str(layer)]).run()
    assert str(err.value).startswith(
        f"{layer}: track1_training.model: model spec 'packaged-minilmx': not in the local cache"
    )
    assert not (kit / "out" / "manifest.json").exists()


# 6. every profile the Colab setup may choose runs with what the Colab route installs


@pytest.mark.parametrize("profile", ["cpu", "paper"])
def test_the_colab_extra_installs_what_each_colab_profile_loads(profile):
    extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["colab"]
    installed = {entry.split(">")[0].split("=")[0].strip() for entry in extra}
    needed = {REQUIRED_PACKAGE[spec] for _, _, spec in model_specs(load_params(profile)) if spec in REQUIRED_PACKAGE}
    assert needed <= installed, f"{profile}: the [colab] extra lacks {sorted(needed - installed)}"
    if profile == "cpu":
        assert needed, "the cpu profile loads the packaged MiniLM"


# 7. checkpoints that ship only a SentencePiece model


@pytest.mark.parametrize("family", ["t5", "pegasus"])
def test_a_sentencepiece_only_checkpoint_loads_through_the_resolver(family, tmp_path):
    import sentencepiece as spm
    from transformers import PegasusConfig, PegasusForConditionalGeneration, T5Config, T5ForConditionalGeneration

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(f"the essay {i} made me sad and angry about the news" for i in range(200)))
    folder = tmp_path / family
    folder.mkdir()
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(folder / "spiece"),
        vocab_size=40,
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        minloglevel=2,
    )
    if family == "t5":
        T5ForConditionalGeneration(
            T5Config(vocab_size=64, d_model=16, d_kv=8, d_ff=32, num_layers=1, num_heads=2, decoder_start_token_id=0)
        ).save_pretrained(folder)
    else:
        PegasusForConditionalGeneration(
            PegasusConfig(
                vocab_size=160,
                d_model=16,
                encoder_layers=1,
                decoder_layers=1,
                encoder_attention_heads=2,
                decoder_attention_heads=2,
                encoder_ffn_dim=32,
                decoder_ffn_dim=32,
            )
        ).save_pretrained(folder)
    assert not (folder / "tokenizer.json").exists()
    model, tokenizer = load_model(str(folder), "seq2seq")
    ids = tokenizer("sad news")["input_ids"]
    assert ids[-1] == tokenizer.eos_token_id and len(ids) > 1
    assert model.config.model_type == family
