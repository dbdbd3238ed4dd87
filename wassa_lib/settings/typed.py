"""Typed records read back from JSON: one check that the keys are the record's fields."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def from_fields(cls: type[T], data: dict[str, Any], where: str, **converted: Any) -> T:
    """``cls(**data)`` (``converted`` replacing some values by typed ones), after checking that ``data`` holds
    no key ``cls`` lacks and every field without a default; the error names ``where`` and the keys."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    unknown = sorted(set(data) - {f.name for f in fields})
    if unknown:
        raise ValueError(f"{where}: unknown keys {', '.join(unknown)}")
    required = (f.name for f in fields if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
    missing = [name for name in required if name not in data]
    if missing:
        raise ValueError(f"{where}: missing keys {', '.join(missing)}")
    return cls(**{**data, **converted})
