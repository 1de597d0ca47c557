"""Docs that cannot drift: the README names every command, config key and header alias."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT
from pydantic import BaseModel

from reportgen.cli import cli
from reportgen.config import Config
from reportgen.inventory.fields import FIELDS

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_is_documented(command):
    assert f"`reportgen {command}" in README


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        keys.append(prefix + name)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys += _keys(annotation, f"{prefix}{name}.")
    return keys


@pytest.mark.parametrize("key", _keys(Config))
def test_every_config_key_is_documented(key):
    name = key.rsplit(".", 1)[-1]
    assert re.search(rf"\b{name}:", README), key


@pytest.mark.parametrize("field", FIELDS)
def test_inventory_header_table_matches_the_code(field):
    row = next(line for line in README.splitlines() if line.startswith(f"| {field} |"))
    documented = {h.strip().casefold() for h in row.split("|")[2].split(",")}
    assert documented == {alias.casefold() for alias in FIELDS[field]}


MATRIX_DOC = (ROOT / "docs" / "matrix.md").read_text(encoding="utf-8")


def _schema_fields() -> list[str]:
    """Every field of matrix.json's contract, nested models included."""
    from reportgen.matrix_schema import Matrix

    seen: set[type[BaseModel]] = set()
    names: list[str] = []

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, field in model.model_fields.items():
            names.append(field.alias or name)
            for kind in _models_in(field.annotation):
                walk(kind)

    walk(Matrix)
    return sorted(set(names))


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


@pytest.mark.parametrize("field", _schema_fields())
def test_every_matrix_field_is_documented(field):
    assert f"`{field}`" in MATRIX_DOC, f"docs/matrix.md does not describe `{field}`"
