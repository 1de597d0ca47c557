"""Resolving a service cell (name, alias, ARN or resource type) to a catalog service."""

from __future__ import annotations

import bisect
import difflib
import itertools
import math
import operator
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportgen.catalogs.source_names import SourceNames
from reportgen.catalogs.srm import SrmCatalog, norm_key

_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9.-]+):(?P<region>[a-z0-9-]*):"
    r"(?P<account>\d{12}|aws|)?:",
    re.IGNORECASE,
)
_RESOURCE_TYPE = re.compile(r"^AWS::(?P<namespace>[A-Za-z0-9]+)::(?P<type>[A-Za-z0-9]+)$", re.I)
_PREFIX = re.compile(r"^(amazon|aws)\s+", re.IGNORECASE)
_LOOSE = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True, slots=True)
class Resolution:
    service_id: str
    matched_by: str  # "name", "arn", "resource-type", "terraform-type" or "product-code"
    region: str = ""
    account: str = ""


_UNKNOWN: Any = object()  # not looked up yet (None is a cached "no such service")
_NOT_ARN: Any = object()  # an ARN-like head the ARN pattern does not match


def loose_key(text: str) -> str:
    """'Amazon Simple Storage Service (S3)' and 'simple-storage-service' compare alike."""
    return _LOOSE.sub("", _PREFIX.sub("", text.strip()).casefold())


# "Amazon Simple Storage Service (S3)", "Amazon S3 (Simple Storage Service)";
# Cost Explorer's "Amazon Elastic Compute Cloud - Compute", "EC2 - Other", "EC2-Instances".
# The blanks before the bracket or the dash are matched from the first of them only: from
# each blank of a long run, the search was quadratic (32,000 blanks in a cell: 15 s, 59d).
# A name of blanks alone is no longer split off, and it was never a service's.
_PARENTHESIS = re.compile(r"^([^()]+?)(?<!\s)\s*\(([^()]+)\)\s*$")
# A qualifier's separator: the blanks (from the first), the dash and the blanks after it.
_SEPARATOR_START = re.compile(r"(?<=\S)(?=\s+[-–]\s)")
_SEPARATOR = re.compile(r"\s+[-–](\s+)")
_COST_GROUP = re.compile(r"^(?P<head>[A-Za-z0-9 ]+?)-(?:other|instances?|compute)$", re.I)


_ABBREVIATION = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")  # S3, EC2, RDS, MSK: not "monitoring"


def name_parts(text: str) -> list[str]:
    """Shorter names a service cell may stand for, to try in turn when the whole does not
    resolve: the name outside a parenthesis, then an abbreviation inside it; the name
    before a Cost Explorer qualifier (' - Compute', ' - Other', '-Instances'), then an
    abbreviation after it. A word in brackets ("Datadog (monitoring)") is no service."""
    match = _PARENTHESIS.match(text)
    parts = match.groups() if match else _qualified(text)
    if parts:
        first, second = parts
        return [first, *([second] if _ABBREVIATION.match(second.strip()) else [])]
    match = _COST_GROUP.match(text)
    return [match.group("head")] if match else []


def _qualified(text: str) -> tuple[str, str] | None:
    """(name, qualifier) split at the first ' - ' with a one-line name before it and a
    one-line qualifier after it, as `^(.+?)(?<!\\s)\\s+[-–]\\s+(.+)$` splits. The pattern was
    quadratic when a line break followed many separators: it tried each and ran to the break
    (32,000 characters: 27 s, 60d); here the lines the two parts may use are known first."""
    body = text[:-1] if text.endswith("\n") else text
    first_break, last_break = body.find("\n"), body.rfind("\n")
    for candidate in _SEPARATOR_START.finditer(body):
        start = candidate.start()
        if first_break != -1 and start > first_break:
            return None
        after_dash, end = _SEPARATOR.match(body, start).span(1)  # type: ignore[union-attr]
        qualifier = min(end, len(body) - 1)  # the pattern gives back a blank if none follow
        if qualifier > after_dash and qualifier > last_break:
            return body[:start], body[qualifier:]
    return None


def parse_arn(text: str) -> tuple[str, str, str] | None:
    """(service namespace, region, account) of an ARN, or None."""
    match = _ARN.match(text.strip())
    if not match:
        return None
    service, region, account = match.group("service", "region", "account")
    return service.lower(), region.lower(), account or ""


def _arn_head(text: str) -> str | None:
    """'arn:aws:s3:eu-west-1:123456789012:' of an ARN-like text: all that ``_ARN`` reads (its
    fields hold no ':'), so ``parse_arn`` of the head equals ``parse_arn`` of the text."""
    value = text.strip()
    if value[:4].lower() != "arn:":
        return None
    parts = value.split(":", 5)
    return ":".join(parts[:5]) + ":" if len(parts) == 6 else None


def _one_off(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


class _CloseNames:
    """difflib.get_close_matches over many choices, with the same answer at a fraction of
    the cost. difflib tries every choice in Python: about 2 ms for a 23-letter word against
    the catalog's ~900 names, so 100,000 distinct unknown cells took minutes.

    A choice can reach ``cutoff`` only if the characters it shares with the word (as
    multisets: difflib's ``quick_ratio``) do. Those counts are taken for all choices at
    once in one big integer, a field of ``bits`` bits per choice: the pair (character, k)
    holds a 1 in the field of each choice with that character at least k times, and the
    pairs of the word add up to the characters each choice shares with it. difflib then
    sees only the few choices that pass.
    """

    def __init__(self, choices: Sequence[str]) -> None:
        self.choices = list(choices)
        self.lengths = list(map(len, self.choices))
        # A field's top bit: above any count (at most the choice's length).
        self.bits = (max(self.lengths, default=0) + 1).bit_length() + 1
        self.top = 1 << (self.bits - 1)
        self.tops = sum(self.top << (self.bits * i) for i in range(len(self.choices)))
        holding: dict[tuple[str, int], int] = defaultdict(int)
        for index, choice in enumerate(self.choices):
            for char, count in Counter(choice).items():
                for k in range(1, count + 1):
                    holding[char, k] |= 1 << (self.bits * index)
        self.holding = dict(holding)
        self._bias: dict[tuple[int, float], int] = {}

    def get(self, word: str, n: int, cutoff: float) -> list[str]:
        pairs = ((char, k) for char, count in Counter(word).items() for k in range(1, count + 1))
        shared = sum(map(self.holding.get, pairs, itertools.repeat(0)))
        # A field's top bit is set where the count reaches the least that passes.
        passing = (shared + self.bias(len(word), cutoff)) & self.tops
        possible = []
        while passing:
            lowest = passing & -passing
            possible.append(self.choices[(lowest.bit_length() - 1) // self.bits])
            passing ^= lowest
        return difflib.get_close_matches(word, possible, n=n, cutoff=cutoff)

    def bias(self, size: int, cutoff: float) -> int:
        """Per field, top bit minus the least count of shared characters that passes
        difflib's quick_ratio test (2.0 * matches / length >= cutoff, computed as difflib
        does); 0 where none does."""
        key = (size, cutoff)
        if key not in self._bias:
            if len(self._bias) > 256:  # words are cut to 100 characters; this never grows
                self._bias.clear()
            self._bias[key] = sum(
                (self.top - self._least(size + length, min(size, length), cutoff))
                << (self.bits * index)
                for index, length in enumerate(self.lengths)
            )
        return self._bias[key]

    def _least(self, total: int, most: int, cutoff: float) -> int:
        """The least matches m <= most with 2.0 * m / total >= cutoff, else the top bit."""
        m = max(0, math.ceil(cutoff * total / 2) - 1)
        while m <= most and 2.0 * m / total < cutoff:
            m += 1
        return m if m <= most else self.top


class ServiceResolver:
    """Looks up service cells; each distinct cell text is resolved once and cached."""

    def __init__(self, catalog: SrmCatalog) -> None:
        self.catalog = catalog
        self._names: dict[str, str] = {}
        self._loose: dict[str, str] = {}
        ambiguous: set[str] = set()
        self._arn: dict[str, str] = {}
        self._types: dict[str, str] = {}
        for service in catalog.services.values():
            for name in (service.id, service.name, service.full_name or "", *service.aliases):
                if not name:
                    continue
                self._names.setdefault(norm_key(name), service.id)
                loose = loose_key(name)
                if loose and self._loose.setdefault(loose, service.id) != service.id:
                    ambiguous.add(loose)
            for namespace in service.namespaces:
                self._arn[namespace.lower()] = service.id
            for resource_type in service.resource_types:
                self._types[resource_type.casefold()] = service.id
        for loose in ambiguous:
            del self._loose[loose]
        self._cache: dict[str, Resolution | None] = {}
        self._arns: dict[str, Resolution | None] = {}  # by _arn_head
        self._suggest: dict[str, str] = {}
        for name, service_id in self._names.items():
            self._suggest.setdefault(loose_key(name), service_id)
        self._choices = sorted(key for key in self._suggest if len(key) > 1)
        self._close = _CloseNames(self._choices)
        self._sources = SourceNames(catalog)  # Terraform types, CUR product codes

    def resolve_all(self, texts: list[str]) -> list[Resolution | None]:
        """``resolve`` for many cells: the cached ones looked up in C, the rest one by one."""
        found = list(map(self._cache.get, texts, itertools.repeat(_UNKNOWN)))
        unknown = map(operator.is_, found, itertools.repeat(_UNKNOWN))
        for index in itertools.compress(itertools.count(), unknown):
            found[index] = self.resolve(texts[index])
        return found

    def resolve(self, text: str) -> Resolution | None:
        result = self._cache.get(text, _UNKNOWN)
        if result is not _UNKNOWN:
            return result
        head = _arn_head(text)
        if head is not None:
            # ARNs are mostly distinct, but only their head (service, region, account)
            # decides the answer: cached by that, the pattern runs once per head.
            result = self._arns.get(head, _UNKNOWN)
            if result is _UNKNOWN:
                result = self._arns[head] = self._resolve_arn(head)
            if result is not _NOT_ARN:
                return result
        result = self._cache[text] = self._resolve(text)
        return result

    def _resolve_arn(self, head: str) -> Resolution | None:
        """The service of an ARN's head; ``_NOT_ARN`` when the head is no ARN."""
        arn = parse_arn(head)
        if arn is None:
            return _NOT_ARN
        service_id = self._arn.get(arn[0])
        return Resolution(service_id, "arn", arn[1], arn[2]) if service_id else None

    def _resolve(self, text: str) -> Resolution | None:
        value = text.strip()
        if not value:
            return None
        match = _RESOURCE_TYPE.match(value)
        if match:
            exact = self._types.get(value.casefold())
            namespace = self._types.get(f"aws::{match.group('namespace')}::*".casefold())
            service_id = exact or namespace
            return Resolution(service_id, "resource-type") if service_id else None
        service_id = self._by_name(value)
        if service_id:
            return Resolution(service_id, "name")
        found = self._sources.lookup(value, self._by_name, self._by_namespace)
        if found:
            return Resolution(*found)
        service_id = next(filter(None, map(self._by_name, name_parts(value))), None)
        return Resolution(service_id, "name") if service_id else None

    def _by_name(self, value: str) -> str | None:
        return self._names.get(norm_key(value)) or self._loose.get(loose_key(value))

    def _by_namespace(self, namespace: str) -> str | None:
        return self._types.get(f"aws::{namespace}::*".casefold())

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """Closest catalog services for an unresolved cell, as display names.

        Compared without 'Amazon'/'AWS' and punctuation, so 'Amazon Dynamo' is near
        'DynamoDB' rather than near every other 'Amazon ...' name.
        """
        value = text.strip()
        arn = parse_arn(value)
        resource_type = _RESOURCE_TYPE.match(value)
        if arn:
            value = arn[0]
        elif resource_type:
            value = resource_type.group("namespace")
        key = loose_key(value)[:100]
        if not key:
            return []
        matches = self._close.get(key, n=limit * 3, cutoff=0.75)
        if len(key) >= 3:  # the choices starting with the key, found in the sorted list
            start = bisect.bisect_left(self._choices, key)
            starting = itertools.takewhile(
                lambda choice: choice.startswith(key), itertools.islice(self._choices, start, None)
            )
            matches += [c for c in starting if c not in matches]
        if len(key) <= 4:  # 'ec3', 's4': one character off is as close as short names get
            matches += [c for c in self._choices if _one_off(key, c) and c not in matches]
        names: list[str] = []
        for match in matches:
            name = self.catalog.services[self._suggest[match]].name
            if name not in names:
                names.append(name)
        return names[:limit]
