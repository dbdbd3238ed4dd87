"""Track 2: emotion by classification or by label generation (paper §4.2 and Table 4).

Two families on the same data and split:

* **classification** (the paper's BERT/ALBERT baselines): the encoder's pooled
  ``[CLS]`` output into one linear layer, trained with binary cross-entropy over
  one-hot labels; the prediction is the arg-max over the seven outputs.
* **generation** (the paper's T5/Pegasus system): the essay in, ``label + eos``
  out, negative log-likelihood, :class:`~transformers.Seq2SeqTrainer`.

Modules: :mod:`.config` (a Table-4 row's settings), :mod:`.decoding` (label text,
the invalid-output rule, batched inference), :mod:`.training` (both families, the
CARER stage, one row end to end), :mod:`.results` (Table 4, selection, serving).
"""
from .config import FAMILIES, IncrementalConfig, Track2Model, models_table
from .decoding import (count_invalid, eos_token_id, generate_free, label_targets, one_hot, parse_generation,
                       predict_classifier, predict_generation, score_labels)
from .results import (SELECTION_FILE, floors_dev_predictions, incremental_effect, invalid_generations, predict_emotions,
                      select_best, stage1_on_carer_test, table4)
from .training import (MODEL_DIR, PREDICTIONS_FILE, RESULT_FILE, STAGE1_DIR, ModelResult, stage1_dir,
                       run_model, train_classifier, train_generator, train_stage1)

__all__ = ["FAMILIES", "IncrementalConfig", "Track2Model", "models_table", "invalid_generations", "count_invalid", "eos_token_id", "generate_free",
           "label_targets", "one_hot", "parse_generation", "predict_classifier", "predict_generation",
           "score_labels", "floors_dev_predictions", "SELECTION_FILE", "incremental_effect", "predict_emotions", "select_best",
           "stage1_on_carer_test", "table4", "MODEL_DIR", "PREDICTIONS_FILE", "RESULT_FILE",
           "STAGE1_DIR", "ModelResult", "stage1_dir", "run_model", "train_classifier", "train_generator", "train_stage1"]
