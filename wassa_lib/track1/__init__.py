"""Track 1 (empathy and distress): fine-tuning, embeddings, features, regressors, Table 2 and predictions.

Imports data, settings, hf and scoring."""
