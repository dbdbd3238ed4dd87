"""The runner: params profiles, pre-flight checks, the papermill kernel, the manifest and lock, launch,
benchmark, Colab setup and predict.  Imports every stage except reporting."""
