"""Parsing the scope column: which frameworks a row is in scope for."""

from __future__ import annotations

import re

_SPLIT = re.compile(r"[,;|\n]+|\s+and\s+|\s*&\s*", re.IGNORECASE)
_KEY = re.compile(r"[^0-9a-z]+")
_ALL = {"", "all", "any", "yes", "y", "true", "inscope", "allframeworks", "*"}
_NONE = {"none", "no", "n", "false", "na", "outofscope", "notinscope", "excluded", "-"}


def scope_key(text: str) -> str:
    return _KEY.sub("", text.casefold()) if text.strip() != "-" else "-"


class ScopeParser:
    """Maps scope cells to framework ids; ``None`` means every framework."""

    def __init__(self, aliases: dict[str, list[str]]) -> None:
        self._lookup: dict[str, str] = {}
        for framework_id, names in aliases.items():
            for name in [framework_id, *names]:
                self._lookup[scope_key(name)] = framework_id
        self._accepted = sorted({name for names in aliases.values() for name in names[:2]})
        self._cache: dict[str, frozenset[str] | None] = {}

    def parse(self, text: str) -> frozenset[str] | None:
        """Framework ids in the cell; raises ValueError naming a token it does not know."""
        if text in self._cache:
            return self._cache[text]
        key = scope_key(text)
        if key in _ALL:
            result: frozenset[str] | None = None
        elif key in _NONE:
            result = frozenset()
        elif key in self._lookup:
            result = frozenset({self._lookup[key]})
        else:
            tokens = [token for token in _SPLIT.split(text) if token.strip()]
            result = frozenset(fid for token in tokens for fid in self._token(token))
        self._cache[text] = result
        return result

    def _token(self, token: str) -> list[str]:
        framework_id = self._lookup.get(scope_key(token))
        if framework_id is not None:
            return [framework_id]
        parts = token.split("/")  # "PCI/SOC2", but "ISO/IEC 27001" matched whole above
        found = [self._lookup.get(scope_key(part)) for part in parts]
        if len(parts) == 1 or None in found:
            raise ValueError(
                f"unknown framework '{token.strip()}' in the scope column; use one or more of "
                f"{', '.join(self._accepted)}, separated by commas, or 'all' / 'none'"
            )
        return [fid for fid in found if fid]
