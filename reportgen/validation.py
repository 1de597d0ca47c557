"""Turn pydantic validation errors into messages keyed by path and line."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from reportgen.errors import InputError
from reportgen.yamlio import YamlDocument

ModelT = TypeVar("ModelT", bound=BaseModel)
MAX_DETAILS = 200  # problems listed in one message; a file with more has a bigger problem


def key_path(loc: tuple[Any, ...], data: Any) -> str:
    """Readable key path; list items that carry an ``id`` are named by it: ``controls[1.2.1]``."""
    text = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            ident = item.get("id") if isinstance(item, dict) else None
            text += f"[{ident}]" if ident is not None else f"[{part}]"
            node = item
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text or "(top level)"


def error_message(error: Any) -> str:
    """A pydantic error in words; the input value itself is never echoed."""
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "required key is missing"
    return str(error["msg"])


def _describe(error: Any, doc: YamlDocument) -> str:
    loc = tuple(error["loc"])
    line = doc.line_of(loc)
    prefix = f"line {line}: " if line else ""
    return f"{prefix}{key_path(loc, doc.data)}: {error_message(error)}"


def validate_document(model: type[ModelT], doc: YamlDocument, what: str) -> ModelT:
    """Validate ``doc`` against ``model``; report every error at once with its key path."""
    if not isinstance(doc.data, dict):
        raise InputError(f"{what} must be a YAML mapping (key: value pairs)", file=doc.path)
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        count = exc.error_count()
        errors = exc.errors(include_url=False, include_input=False)
        details = [_describe(error, doc) for error in errors[:MAX_DETAILS]]
        if count > MAX_DETAILS:
            details.append(f"… and {count - MAX_DETAILS:,} more; fix these first")
        raise InputError(
            f"{what} is not valid ({count:,} problem{'s' if count != 1 else ''})",
            file=doc.path,
            details=details,
        ) from exc
