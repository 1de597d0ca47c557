"""A cheap first look at a pack's JSON against its model, which stops at a few problems.

pydantic gathers every error of a document before it reports one: a 2.4 MB matrix.json of
590,000 empty objects where controls go (each missing a dozen keys) made it allocate 2.7
GB and abort the process, and 500,000 numbers there took 791 MB (seventh adversarial pass).
This walk checks what such a document gets wrong most cheaply (an object where one is
expected, its required and unknown keys, a list, a mapping, a plain string, number or
flag) and stops past ``limit`` problems. A document it finds no more than ``limit``
problems in is then validated by pydantic as before, whose errors are then few; one with
more is refused with the first of them, without pydantic.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

Loc = tuple[Any, ...]
_NONE = type(None)


def shape_problems(
    value: Any, model: type[BaseModel], limit: int, tolerated: Callable[[Loc], bool]
) -> list[tuple[Loc, str]]:
    """(place, what is wrong) of the first ``limit + 1`` problems the walk finds in
    ``value``; a missing key for which ``tolerated(place)`` is true is none."""
    found: list[tuple[Loc, str]] = []
    _Walk(found, limit, tolerated).model(value, model, ())
    return found


class _Walk:
    def __init__(self, found: list, limit: int, tolerated: Callable[[Loc], bool]) -> None:
        self.found, self.limit, self.tolerated = found, limit, tolerated

    def full(self) -> bool:
        return len(self.found) > self.limit

    def add(self, loc: Loc, what: str) -> None:
        self.found.append((loc, what))

    def model(self, value: Any, model: type[BaseModel], loc: Loc) -> None:
        if not isinstance(value, dict):
            self.add(loc, "should be an object")
            return
        fields = {field.alias or name: field for name, field in model.model_fields.items()}
        for key, field in fields.items():
            if self.full():
                return
            if key in value:
                self.check(value[key], field.annotation, (*loc, key))
            elif field.is_required() and not self.tolerated((*loc, key)):
                self.add((*loc, key), "required key is missing")
        if model.model_config.get("extra") == "forbid":
            for key in value:
                if key not in fields and not self.full():
                    self.add((*loc, key), "unknown key")

    def check(self, value: Any, kind: Any, loc: Loc) -> None:
        origin, args = typing.get_origin(kind), typing.get_args(kind)
        if origin is typing.Annotated:
            self.check(value, args[0], loc)
        elif isinstance(kind, type) and issubclass(kind, BaseModel):
            self.model(value, kind, loc)
        elif origin is list:
            self.items(value, args[0] if args else Any, loc)
        elif origin is dict:
            self.mapping(value, args[1] if len(args) > 1 else Any, loc)
        elif origin in (typing.Union, types.UnionType):
            self.union(value, args, loc)
        elif kind in (str, int, float, bool):
            self.scalar(value, kind, loc)
        # anything else (a Literal, a date...) is pydantic's to judge

    def items(self, value: Any, kind: Any, loc: Loc) -> None:
        if not isinstance(value, list):
            self.add(loc, "should be a list")
            return
        for index, item in enumerate(value):
            if self.full():
                return
            self.check(item, kind, (*loc, index))

    def mapping(self, value: Any, kind: Any, loc: Loc) -> None:
        if not isinstance(value, dict):
            self.add(loc, "should be an object")
            return
        for key, item in value.items():
            if self.full():
                return
            self.check(item, kind, (*loc, key))

    def union(self, value: Any, args: tuple[Any, ...], loc: Loc) -> None:
        others = [arg for arg in args if arg is not _NONE]
        if value is None and len(others) < len(args):
            return
        if len(others) == 1:
            self.check(value, others[0], loc)

    def scalar(self, value: Any, kind: type, loc: Loc) -> None:
        ok = {
            str: isinstance(value, str),
            bool: isinstance(value, bool),
            int: isinstance(value, int) and not isinstance(value, bool),
            float: isinstance(value, (int, float)) and not isinstance(value, bool),
        }[kind]
        if not ok:
            names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number"}
            self.add(loc, f"should be {names[kind]}")
