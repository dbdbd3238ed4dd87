"""The Hugging Face layer: loading models, Trainer plumbing, callbacks, pooling, progress and cost accounting.

Imports only wassa_lib.data and wassa_lib.settings."""
