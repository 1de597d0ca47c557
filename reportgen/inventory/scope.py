"""Scope columns: which frameworks a row is in scope for, and in which scope category.

Two kinds of column. A generic scope column ("Scope", "Frameworks") lists frameworks
("PCI, ISO", "all", "none"). A column whose header names a framework ("PCI Scope", "In PCI
scope", "CDE", "ISO scope", "SOC 2 in scope") scopes that framework only, with yes / no or
one of the framework's own scope categories (PCI DSS: CDE, connected-to /
security-impacting, out of scope). Several may coexist; for each framework its own column
decides, else the generic one, else the row is in scope. A row's scope is a set of
framework ids, with ``"<framework>:<category>"`` entries for the categories it was given.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from reportgen.core.owners import spelt_out

# A separator's blanks are matched from the first of them only: from each blank of a run,
# the search was quadratic in the run (32,767 blanks in one cell: 6 s).
_SPLIT = re.compile(r"[,;|\n]+|(?<!\s)\s+and\s+|(?<!\s)\s*&\s*", re.IGNORECASE)
_KEY = re.compile(r"[^0-9a-z]+")
_WORDS = re.compile(r"[a-z]+|[0-9]+")
_ALL = {"", "all", "any", "yes", "y", "true", "inscope", "allframeworks", "*"}
_NONE = {"none", "no", "n", "false", "na", "outofscope", "notinscope", "excluded", "-"}
_YES = {"yes", "y", "true", "x", "in", "inscope", "1", "included"}
_NO = _NONE | {"out", "0", "notapplicable"}
# Words around a framework's name in a scope header: "In PCI scope", "ISO 27001 scope".
# Where a header lists several frameworks: "Compliance scope (PCI DSS, ISO 27001)".
_PARTS = re.compile(r"[,;/&+()\[\]|]|\band\b|\bor\b", re.IGNORECASE)
# A column the config names: a framework's name with scope, compliance or audit run in.
_NAMED = re.compile(r"(?:in|scope)?(.+?)(?:inscope|scoped|scope|compliance|audit)?")
_RUN_TOGETHER = re.compile(r"(?:in)?(.+?)(?:inscope|scoped|scope)")
_FILLER = {"in", "scope", "scoped", "of", "for", "audit", "compliance", "is", "the"}
GENERIC = ""  # the column kind of a generic scope column


def _untagged(cell: str) -> str:
    """A header without an export's 'tag:' before it: 'tag:PCI Scope' is 'PCI Scope'."""
    text = cell.strip()
    return text[4:] if text[:4].casefold() == "tag:" else text


def scope_key(text: str) -> str:
    return _KEY.sub("", text.casefold()) if text.strip() != "-" else "-"


def unread_letters(text: str) -> bool:
    """Whether ``text`` holds a letter or digit reportgen's keys drop (another script, a
    fullwidth form): 'всё кроме PCI' ("all but PCI") was read as PCI alone (74a), and a
    cell of such letters only as an empty one, every framework (73a); or a mark on one
    ('P̶C̶I̶', struck through with U+0336, was read as PCI: 75a)."""
    return any(
        not char.isascii() and (char.isalnum() or unicodedata.category(char).startswith("M"))
        for char in text
    )


def answer_words(words: frozenset[str]) -> frozenset[str]:
    """A header's words but the answers it says its cells take: 'PCI scope (yes/no)'. A
    'no' alone stays: 'No PCI scope' says what a row is out of (76a)."""
    return words - {"yes", "no"} if {"yes", "no"} <= words else words


class ScopeParser:
    """Maps scope cells to framework ids; ``None`` means every framework."""

    def __init__(
        self,
        aliases: Mapping[str, Sequence[str]],
        categories: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
        headers: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """``aliases``: framework id -> names; ``categories``: framework id -> category id
        -> names a cell may give it; ``headers``: framework id -> extra header names that
        scope it alone ("CDE" for PCI DSS)."""
        self._lookup: dict[str, str] = {}
        for framework_id, names in aliases.items():
            for name in [framework_id, *names]:
                self._lookup[scope_key(name)] = framework_id
        self._accepted = sorted({name for names in aliases.values() for name in names[:2]})
        # the words of the frameworks' names, which a scope column's header may hold
        self.name_words = frozenset(
            word
            for framework_id, names in aliases.items()
            for name in [framework_id, *names]
            for word in _WORDS.findall(name.casefold())
        )
        self._frameworks = frozenset(aliases)
        self._categories = {
            fid: {scope_key(n): cid for cid, names in cats.items() for n in [cid, *names]}
            for fid, cats in (categories or {}).items()
        }
        self._headers = {
            scope_key(name): fid for fid, names in (headers or {}).items() for name in names
        }
        self._cache: dict[str, frozenset[str] | None] = {}
        self._rows: dict[tuple[str, ...], frozenset[str] | None] = {}

    # ------------------------------------------------------------------ headers

    def header_framework(self, cell: str) -> str | None:
        """The framework a header scopes on its own ('PCI Scope' -> 'pci-dss'), or None."""
        key = scope_key(cell)
        if key in self._headers:
            return self._headers[key]
        words = _WORDS.findall(cell.casefold())
        # A framework's name alone ("PCI") may be any column; with "scope" it is a scope one.
        if not {"scope", "scoped", "inscope"} & set(words):
            return self._run_together(key)
        kept = answer_words(frozenset(words))
        found = self._lookup.get("".join(w for w in words if w in kept and w not in _FILLER))
        return found or self._run_together(key)

    def unknown_mention(self, cell: str) -> str | None:
        """The part of a scope column's header that speaks of a framework in words of the
        frameworks' names without naming one ('SOC 1' in 'SOC 1 Scope', 'DSS scope'); None
        when each part names one, or none. Read as a generic column, its 'no' took a row
        out of every pack (82a)."""
        text = _untagged(cell)
        for part in _PARTS.split(text):
            words = [w for w in _WORDS.findall(part.casefold()) if w not in _FILLER]
            if not set(words) & self.name_words:
                continue
            if "".join(words) not in self._lookup and not self._run_together(scope_key(part)):
                return part.strip()
        return None

    def _run_together(self, key: str) -> str | None:
        """A framework's name and 'scope' run together ('PCIScope', 'InPCIScope'): not read
        as one, a config naming it read it as every framework's (81a)."""
        joined = _RUN_TOGETHER.fullmatch(key)
        return self._lookup.get(joined[1]) if joined else None

    def named_framework(self, cell: str) -> str | None:
        """The framework a column the config names as the scope column scopes alone: its
        header scopes it ('PCI Scope'), or is its name ('tag:pci'); None for any other."""
        text = _untagged(cell)
        words = "".join(w for w in _WORDS.findall(text.casefold()) if w not in _FILLER)
        named = _NAMED.fullmatch(words)  # 'pci-compliance', 'ScopePCI', 'PCIAudit' (83a)
        return (
            self.header_framework(text)
            or self._lookup.get(scope_key(text))
            or self._lookup.get(words)
            or (self._lookup.get(named[1]) if named else None)
        )

    # ------------------------------------------------------------------ cells

    def parse(self, text: str) -> frozenset[str] | None:
        """Framework ids in a generic scope cell; ValueError naming a token it does not know."""
        if text in self._cache:
            return self._cache[text]
        key = scope_key(text)
        if unread_letters(text) or (not key and text.strip() not in ("", "*")):
            # no letter or digit it reads: 'ｎｏｎｅ', 'нет', '—' were read as a blank cell,
            # every framework, without a word (73a)
            raise ValueError(
                f"'{spelt_out(text.strip()[:60])}' is not a scope answer; use 'all', 'none' or "
                f"one or more of {', '.join(self._accepted)}, in plain letters"
            )
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

    def parse_row(self, texts: tuple[str, ...], kinds: tuple[str, ...]) -> frozenset[str] | None:
        """A row's scope from its scope cells; ``kinds[i]`` is the framework id of the i-th
        scope column, or GENERIC. ValueError (index first) names the cell it cannot read."""
        if len(kinds) == 1 and kinds[0] == GENERIC:
            try:
                return self.parse(texts[0])
            except ValueError as exc:
                raise ValueError(0, str(exc)) from None
        found = self._rows.get(texts)
        if found is not None or texts in self._rows:
            return found
        generic = next((t for t, k in zip(texts, kinds, strict=True) if k == GENERIC), "")
        try:
            base = self.parse(generic)
        except ValueError as exc:
            raise ValueError(kinds.index(GENERIC), str(exc)) from None
        scope = set(self._frameworks if base is None else base)
        for index, (text, kind) in enumerate(zip(texts, kinds, strict=True)):
            if kind == GENERIC or not text.strip():
                continue
            try:
                scope.discard(kind)
                scope.update(self._framework_cell(kind, text))
            except ValueError as exc:
                raise ValueError(index, str(exc)) from None
        result = None if scope == self._frameworks else frozenset(scope)
        self._rows[texts] = result
        return result

    def _framework_cell(self, framework_id: str, text: str) -> set[str]:
        found = None if unread_letters(text) else self._answer(framework_id, scope_key(text))
        if found is not None:
            return found
        names = sorted(self._categories.get(framework_id, {}))
        more = f", or a category: {', '.join(names[:8])}" if names else ""
        raise ValueError(f"'{text.strip()[:60]}' is not a scope answer; use yes or no{more}")

    def _answer(self, framework_id: str, key: str) -> set[str] | None:
        """A framework column's answer of this key: a category, yes or no; None for none."""
        category = self._categories.get(framework_id, {}).get(key)
        if category is not None:
            return {framework_id, f"{framework_id}:{category}"}
        if key in _YES:
            return {framework_id}
        if key in _NO:
            return set()
        return None

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


def categories_of(scope: frozenset[str] | None, framework_id: str) -> list[str]:
    """The scope categories a row was given for a framework ('cde', 'connected')."""
    prefix = f"{framework_id}:"
    return sorted(item[len(prefix) :] for item in scope or () if item.startswith(prefix))
