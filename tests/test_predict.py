"""The predict command on a finished (smoke) run, and Table 5 against an independent scorer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from wassa_lib.runner.predict import main_predict
from wassa_lib.scoring import submission

REPO = Path(__file__).resolve().parent.parent


def _official_prf(gold: list[str], pred: list[str]) -> dict[str, float]:
    """An independent transcription of the CodaLab scorer's calculatePRF (plain dicts, no numpy)."""
    labels = set(gold + pred)
    tp, fp, fn = ({label: 0.0 for label in labels} for _ in range(3))
    for g, p in zip(gold, pred):
        if g == p:
            tp[g] += 1
        else:
            fp[p] += 1
            fn[g] += 1
    precision = {lab: 1.0 if tp[lab] + fp[lab] == 0 else tp[lab] / (tp[lab] + fp[lab]) for lab in labels}
    recall = {lab: 0.0 if tp[lab] + fn[lab] == 0 else tp[lab] / (tp[lab] + fn[lab]) for lab in labels}
    f = {
        lab: 0.0
        if precision[lab] + recall[lab] == 0
        else 2 * precision[lab] * recall[lab] / (precision[lab] + recall[lab])
        for lab in labels
    }
    micro_r = sum(tp.values()) / (sum(tp.values()) + sum(fn.values()))
    micro_p = sum(tp.values()) / (sum(tp.values()) + sum(fp.values()))
    micro_f = 0.0 if micro_p + micro_r == 0 else 2 * micro_p * micro_r / (micro_p + micro_r)
    values = {
        "micro_recall": micro_r,
        "micro_precision": micro_p,
        "micro_f1": micro_f,
        "macro_recall": sum(recall.values()) / len(labels),
        "macro_precision": sum(precision.values()) / len(labels),
        "macro_f1": sum(f.values()) / len(labels),
        "accuracy": sum(tp.values()) / len(gold),
    }
    return {k: round(v, 4) for k, v in values.items()}


def test_table5_equals_an_independent_scorer_on_the_submission(smoke_run, smoke_data):
    predicted = submission.read_emo(smoke_run / "submission" / submission.EMO_FILE)
    gold = pd.read_csv(smoke_data / "gold_standard_test_EMO.tsv", sep="\t")["emotion"].tolist()
    assert len(predicted) == len(gold)
    table5 = pd.read_csv(smoke_run / "tables" / "table5.csv").set_index("metric")
    for metric, value in _official_prf(gold, predicted).items():
        assert table5.loc[metric, "ours"] == value, metric


def test_submission_has_one_line_per_test_essay(smoke_run, smoke_data):
    n_test = len(pd.read_csv(smoke_data / "messages_test_features_ready_for_WS.tsv", sep="\t"))
    for name in (submission.EMP_FILE, submission.EMO_FILE):
        lines = (smoke_run / "submission" / name).read_text().splitlines()
        assert len(lines) == n_test
    assert not (smoke_run / "submission" / submission.EMP_FILE).read_text().startswith("empathy")


def test_predict_command_scores_a_csv(smoke_run, tmp_path):
    source = tmp_path / "essays.csv"
    frame = pd.DataFrame(
        {
            "id": [3, 1, 2],
            "essay": [
                "I feel so sad about the flood victims.",
                "This makes me angry, it is unfair!",
                "Interesting article.",
            ],
        }
    )
    frame.to_csv(source, index=False)
    before = source.read_bytes()
    proc = subprocess.run(
        [sys.executable, "-m", "wassa_lib", "predict", "--run", str(smoke_run), str(source)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    out = pd.read_csv(tmp_path / "essays.predictions.csv")
    assert list(out["id"]) == [3, 1, 2] and list(out.columns) == ["id", "essay", "empathy", "distress", "emotion"]
    assert out[["empathy", "distress"]].notna().all().all()
    assert set(out["emotion"]) <= {"sadness", "anger", "neutral", "fear", "surprise", "disgust", "joy"}
    assert source.read_bytes() == before
    assert "scored 3/3 essays" in proc.stderr


@pytest.mark.parametrize(
    "content,message",
    [
        ("text\nhello\n", "missing column essay; found text"),
        ("essay,age\nfine essay,30\n  ,31\n", "line 3, column essay: empty essay"),
        (b"\xff\xfe\x00bad", "encoded as UTF-16; save it as UTF-8"),
    ],
)
def test_predict_bad_input_is_one_line_and_exit_2(smoke_run, tmp_path, capsys, content, message):
    source = tmp_path / "in.csv"
    source.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert main_predict(str(smoke_run), str(source), None, False) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("error: ")


def test_predict_refuses_to_overwrite(smoke_run, tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("essay\nsome essay\n")
    assert main_predict(str(smoke_run), str(source), str(source), False) == 2
    assert "overwrite the input" in capsys.readouterr().err
    (tmp_path / "in.predictions.csv").write_text("keep me")
    assert main_predict(str(smoke_run), str(source), None, False) == 2
    assert "exists; pass --overwrite" in capsys.readouterr().err
    assert (tmp_path / "in.predictions.csv").read_text() == "keep me"
    assert main_predict(str(smoke_run), str(tmp_path / "missing.csv"), None, False) == 2
    assert "file not found" in capsys.readouterr().err
