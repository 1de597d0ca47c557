"""AWS Cost and Usage Report (legacy CUR and CUR 2.0), CSV plain or gzipped.

Millions of line items name a few thousand resources, so the file is streamed and each line
reduced to its key (product code, resource id, account, region, line item type, billing
entity, tags) and counted; C does the counting, Python only sees each distinct key once.
A block of lines without a double quote is split with ``str.split``; a block with one goes
through the csv module (a quoted field may hold commas or line breaks).

Memory is bounded whatever the file holds: a line (or a record of several lines) longer than
MAX_LINE_CHARS is refused with its line number before it is split, and the distinct keys are
folded into resources every FOLD_KEYS, refused past --max-rows resources as they are found.
A field of the key longer than --max-cell-chars is refused here, named by its line and its
column in the report (the table built from the report has other rows and columns).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import operator
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from reportgen.catalogs.source_names import not_services
from reportgen.core.errors import InputError, column_letter
from reportgen.core.markdown import shorten
from reportgen.inventory.limits import Limits
from reportgen.inventory.readers import RawTable
from reportgen.inventory.sources.contract import Head
from reportgen.inventory.sources.exportfile import open_export
from reportgen.inventory.sources.jsonstream import TOO_LARGE, DuplicateKey, loads_unique
from reportgen.inventory.sources.skipped import Skipped
from reportgen.inventory.sources.table import (
    ACCOUNT,
    NOT_TEXT,
    NOT_TEXT_WORDS,
    NOTES,
    REGION,
    RESOURCE,
    SERVICE,
    SourceTable,
    TableFull,
    spelt_not_text,
)

LINE_ITEMS = "Line Items"
_BLOCK = 1 << 20  # characters read at a time
# A line of a genuine report is a few kilobytes (hundreds of columns, tags included).
MAX_LINE_CHARS = 1 << 20
FOLD_KEYS = 100_000  # distinct keys counted before they are folded into resources
_NAME_CHARS = 60  # of a column's header name, in a message

# Field -> its column in legacy CUR and in CUR 2.0 (first found wins).
COLUMNS: dict[str, tuple[str, ...]] = {
    "product": ("lineItem/ProductCode", "line_item_product_code"),
    "resource": ("lineItem/ResourceId", "line_item_resource_id"),
    "account": ("lineItem/UsageAccountId", "line_item_usage_account_id"),
    "type": ("lineItem/LineItemType", "line_item_line_item_type"),
    "entity": ("bill/BillingEntity", "bill_billing_entity"),
    "region": ("product/region", "product/regionCode", "product_region_code", "product_region"),
    "zone": ("lineItem/AvailabilityZone", "line_item_availability_zone"),
}
REQUIRED = ("product", "account")
# Line items that record use of a resource; fees, taxes, credits and discounts do not.
USAGE = frozenset({"", "Usage", "DiscountedUsage", "SavingsPlanCoveredUsage"})
MARKETPLACE = "AWS Marketplace"
_TAG_PREFIXES = ("resourcetags/user:", "resourcetags/", "resource_tags_user_", "resource_tags_")
CUR2_TAGS = "resource_tags"  # CUR 2.0: one column holding a JSON map


def is_cur_header(line: str) -> bool:
    """Whether a file's first line is the header of a Cost and Usage Report."""
    folded = line.casefold()
    return "lineitem/productcode" in folded or "line_item_product_code" in folded


class CostAndUsageReport:
    name = "cur"
    label = "Cost and Usage Report (legacy CUR or CUR 2.0, CSV or .csv.gz)"

    def recognises(self, head: Head) -> bool:
        return is_cur_header(head.first_line)

    def read(self, path: Path, limits: Limits) -> RawTable:
        with open_export(path, limits.max_export_bytes) as raw:
            # Bytes that are not UTF-8 kept as lone surrogates, refused with their line:
            # replaced by U+FFFD, they changed resource ids without a word (thirteenth pass).
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors=_UNDECODED, newline="")
            first = _rest_of_line(text, path, 1, 0)
            header = next(csv.reader([first]), [])
            _check_text(first, 1, path, header)
            layout = Layout.of(header, path)
            resources = Resources(layout, path, limits)
            _count(text, layout, path, limits, resources)
        try:
            table = resources.table(limits)
        except TableFull as exc:
            raise InputError(exc.message, file=path, hint=exc.hint) from exc
        return table.to_raw(path, self.name, resources.warnings(), limits)


@dataclass(frozen=True)
class Layout:
    """Where the fields and tags are in this report's header."""

    fields: dict[str, int]  # field -> position in a line's key
    indexes: tuple[int, ...]  # the columns a key is made of
    names: tuple[str, ...]  # their names in the header
    tags: tuple[str, ...]  # tag keys of the key's trailing values ('' for CUR 2.0's map)
    width: int
    header: tuple[str, ...] = ()  # every column's name, for a message

    @classmethod
    def of(cls, header: list[str], path: Path) -> Layout:
        folded = {name.strip().casefold(): index for index, name in enumerate(header)}
        columns: dict[str, int] = {}
        for field, names in COLUMNS.items():
            found = next((folded[n.casefold()] for n in names if n.casefold() in folded), None)
            if found is not None:
                columns[field] = found
        missing = [COLUMNS[field][0] for field in REQUIRED if field not in columns]
        if missing:
            raise InputError(
                f"the Cost and Usage Report has no {' or '.join(missing)} column", file=path
            )
        tags = [(index, _tag_key(name)) for index, name in enumerate(header)]
        tags = [(index, key) for index, key in tags if key is not None]
        indexes = (*columns.values(), *(index for index, _ in tags))
        fields = {field: position for position, field in enumerate(columns)}
        names = tuple(header[index].strip() for index in indexes)
        keys = tuple(key for _, key in tags)
        return cls(fields, indexes, names, keys, len(header), tuple(header))

    @property
    def tag_map(self) -> int | None:
        """Where CUR 2.0's resource_tags is in a line's key, if the report has it."""
        return len(self.fields) + self.tags.index("") if "" in self.tags else None


def _tag_key(name: str) -> str | None:
    folded = name.strip().casefold()
    if folded == CUR2_TAGS:
        return ""
    for prefix in _TAG_PREFIXES:
        if folded.startswith(prefix) and len(folded) > len(prefix):
            # 'user: pci' is 'pci', as every reader strips a key (68a)
            return name.strip()[len(prefix) :].strip() or None
    return None


def _count(
    text: io.TextIOWrapper, layout: Layout, path: Path, limits: Limits, resources: Resources
) -> None:
    getter = operator.itemgetter(*layout.indexes)
    if len(layout.indexes) == 1:
        single = getter
        getter = lambda row: (single(row),)  # noqa: E731 - a key is always a tuple
    counts: Counter = Counter()
    # csv's field limit is process-wide and another read may have raised it further: it is
    # never lowered, and only bounds a field's memory (as MAX_LINE_CHARS does).
    # --max-cell-chars is checked on the fields of the key (_long_field); a field past
    # csv's limit is past --max-cell-chars too, and is reported against it (_quoted_rows).
    csv.field_size_limit(max(limits.max_cell_chars + 1, csv.field_size_limit()))
    last_line, limit = 1, limits.max_cell_chars
    checked: set[str] = set()  # CUR 2.0 tag maps found to be JSON maps
    for chunk in _chunks(text, path, limit, layout.header):
        try:
            keys = list(map(getter, chunk.rows))
        except IndexError:
            keys = _checked_keys(chunk, getter, layout, path)
        if chunk.long and max(map(len, itertools.chain.from_iterable(keys)), default=0) > limit:
            raise _long_field(chunk, layout, path, limit)
        if layout.tag_map is not None:
            _check_tag_maps(chunk, keys, layout, path, checked)
        counts.update(keys)
        last_line = chunk.last_line
        if len(counts) > FOLD_KEYS:  # memory stays with the resources, not the keys
            resources.fold(counts, last_line)
            counts = Counter()
    resources.fold(counts, last_line)


def _rest_of_line(text: io.TextIOWrapper, path: Path, line: int, start: int) -> str:
    """The rest of a line of which ``start`` characters are already read; refused when the
    line runs past MAX_LINE_CHARS (str.split and csv would hold it whole, and more)."""
    room = MAX_LINE_CHARS - start
    rest = text.readline(room + 1) if room >= 0 else "x"
    if len(rest) > room and not rest.endswith("\n"):
        raise InputError(
            f"the line is longer than {MAX_LINE_CHARS:,} characters; a Cost and Usage Report "
            "line holds a few thousand",
            file=path,
            line=line,
            hint="Check that the file is a complete, unedited report.",
        )
    return rest


@dataclass
class Chunk:
    """Records of one block: their fields, the line each starts on (``None``: one a line,
    from ``first``), the block's last line, and the block when a line of it is longer than
    --max-cell-chars (else "": the common case costs one ``len`` a line)."""

    first: int
    rows: list[list[str]]
    starts: list[int] | None
    last_line: int
    long: str = ""

    def line(self, index: int) -> int:
        return self.first + index if self.starts is None else self.starts[index]


def _chunks(
    text: io.TextIOWrapper, path: Path, limit: int, header: tuple[str, ...]
) -> Iterator[Chunk]:
    """The records of the file, a block at a time, blank lines left out. A block ends at a
    record's end: quotes come in pairs (a quote inside a field is doubled), so a block with
    an odd count is extended until the open field closes, by at most MAX_LINE_CHARS."""
    line = 2
    while block := text.read(_BLOCK):
        if not block.endswith("\n"):
            start = len(block) - block.rfind("\n") - 1  # of the last line, in the block
            block += _rest_of_line(text, path, line + block.count("\n"), start)
        if block.count('"') % 2:
            block = _close_quote(text, path, block, line)
        _check_text(block, line, path, header)
        if '"' in block or "\r" in block:
            rows, starts, read = _quoted_rows(block, path, line, limit)
            yield Chunk(line, rows, starts, line + read - 1, block)
            line += read
            continue
        lines = block.split("\n")
        lines.pop()  # after the final newline
        read, starts = len(lines), None
        # Blank lines, and lines of commas alone, hold no line item: left out here, at
        # C-like speed, not carried as a row each (208 MB of blank lines took 103 s).
        kept = [index for index, text_ in enumerate(lines) if text_.strip(",")]
        if len(kept) < len(lines):
            starts = [line + index for index in kept]
            lines = [lines[index] for index in kept]
        long = block if max(map(len, lines), default=0) > limit else ""
        rows = list(map(str.split, lines, itertools.repeat(",")))
        yield Chunk(line, rows, starts, line + read - 1, long)
        line += read


_UNDECODED = "surrogateescape"  # a byte that is not UTF-8 -> U+DC80..U+DCFF


def _check_text(block: str, line: int, path: Path, header: Sequence[str]) -> None:
    """Refuse a NUL, a byte that is not UTF-8 or a lone surrogate anywhere in ``block``
    (from ``line``), named by its line and column: the table built later refused a NUL
    in a resource id naming neither (thirteenth adversarial pass)."""
    found = NOT_TEXT.search(block)
    if found is None:
        return
    at = found.start()
    start = block.rfind("\n", 0, at) + 1
    index = max(len(next(csv.reader([block[start:at]]), [""])) - 1, 0)
    name = f" ({shorten(header[index], _NAME_CHARS)})" if index < len(header) else ""
    code = ord(found.group())
    if code == 0:
        what = "a NUL character: binary data, not text"
    elif 0xDC80 <= code <= 0xDCFF:
        what = f"a byte that is not UTF-8 (0x{code - 0xDC00:02x}); AWS writes the report in UTF-8"
    else:
        what = "a lone UTF-16 surrogate, which is not text"
    raise InputError(
        f"the report holds {what}",
        file=path,
        line=line + block.count("\n", 0, at),
        column=f"{column_letter(index)}{name}",
        hint="Check that the file is a complete, unedited report (download it again).",
    )


def _quoted_rows(
    block: str, path: Path, line: int, limit: int
) -> tuple[list[list[str]], list[int], int]:
    """The records of a block that has quotes (``line`` is its first line), blank ones left
    out, the line each starts on, and the lines they took. A bad record is named by the line
    it starts on; a field past csv's limit, which is at least ``limit`` (--max-cell-chars),
    is reported against ``limit``."""
    reader = csv.reader(io.StringIO(block, newline=""))
    rows: list[list[str]] = []
    starts: list[int] = []
    done = 0  # lines read before the record being read
    try:
        for row in reader:
            if any(row):
                rows.append(row)
                starts.append(line + done)
            done = reader.line_num
    except csv.Error as exc:
        start = line + done
        if "field larger than field limit" in str(exc):
            raise InputError(
                f"a field of the record starting here is longer than {limit:,} characters "
                "(--max-cell-chars)",
                file=path,
                line=start,
                hint="Raise --max-cell-chars if the report is genuine.",
            ) from None
        raise InputError(f"malformed CSV: {exc}", file=path, line=start) from None
    return rows, starts, reader.line_num


def _close_quote(text: io.TextIOWrapper, path: Path, block: str, line: int) -> str:
    """The block (from ``line``) extended by the lines that close its open quote, by at most
    MAX_LINE_CHARS."""
    parts, size, odd = [block], 0, True
    while odd and (more := text.readline(MAX_LINE_CHARS - size + 1)):
        parts.append(more)
        size += len(more)
        odd ^= more.count('"') % 2 == 1
        if size > MAX_LINE_CHARS:
            raise InputError(
                f"a quoted field is left open on this line, or its record runs past "
                f"{MAX_LINE_CHARS:,} characters",
                file=path,
                line=_last_record(block, line),
            )
    if odd:  # the file ended inside the field: csv would take the lines below into it
        raise InputError(
            "a quoted field is left open on this line: the file ends inside it",
            file=path,
            line=_last_record(block, line),
        )
    return "".join(parts)


def _last_record(block: str, line: int) -> int:
    """The line on which the block's last record starts (the one a quote leaves open)."""
    reader = csv.reader(io.StringIO(block, newline=""))
    start = done = 0
    try:
        for _ in reader:
            start, done = done, reader.line_num
    except csv.Error:  # the open field grew past the field limit
        start = done
    return line + start


def _long_field(chunk: Chunk, layout: Layout, path: Path, limit: int) -> InputError:
    """The first field of the key longer than ``limit``, named by the line its record
    starts on and by its column in the report (letter and header name)."""
    for number, row in enumerate(chunk.rows):
        for index, name in zip(layout.indexes, layout.names, strict=True):
            if index < len(row) and len(row[index]) > limit:
                shown = shorten(name, _NAME_CHARS)
                return InputError(
                    f"a field holds {len(row[index]):,} characters, over the limit of {limit:,}",
                    file=path,
                    line=chunk.line(number),
                    column=f"{column_letter(index)} ({shown})",
                    hint="Raise --max-cell-chars if the report is genuine.",
                )
    raise AssertionError("no field is over the limit")  # the caller found one


def _checked_keys(chunk: Chunk, getter, layout: Layout, path: Path) -> list[tuple[str, ...]]:
    """Keys of a chunk that holds short lines (or lines of empty fields): the short ones
    named."""
    keys = []
    for number, row in enumerate(chunk.rows):
        if not any(row):
            continue
        if len(row) <= max(layout.indexes):
            raise InputError(
                f"the line has {len(row)} fields; the header has {layout.width}",
                file=path,
                line=chunk.line(number),
            )
        keys.append(getter(row))
    return keys


def _check_tag_maps(
    chunk: Chunk, keys: list[tuple[str, ...]], layout: Layout, path: Path, checked: set[str]
) -> None:
    """Each CUR 2.0 resource_tags value new to the report is a JSON map, or the line and
    column of the first that is not are named."""
    position = layout.tag_map
    assert position is not None
    for value in {key[position] for key in keys}.difference(checked):
        problem = _tag_map_problem(value) if value.strip() else ""
        if problem:
            column = layout.indexes[position]
            number = next(
                i for i, row in enumerate(chunk.rows) if row[column : column + 1] == [value]
            )
            raise InputError(
                f"a resource_tags value {problem}: '{spelt_not_text(value[:80])}'",
                file=path,
                line=chunk.line(number),
                column=f"{column_letter(column)} ({shorten(layout.names[position], _NAME_CHARS)})",
            )
        checked.add(value)


def _tag_map_problem(value: str) -> str:
    """What is wrong with a resource_tags value, as the message says it ('' if nothing)."""
    try:
        parsed = loads_unique(value)
    except DuplicateKey as exc:  # the streamed readers refuse it: which tag value counts?
        return f"is a JSON map in which {exc}"
    except (ValueError, RecursionError):
        return "is not a JSON map"
    if not isinstance(parsed, dict):
        return "is not a JSON map"
    for key, tag in parsed.items():
        # AWS writes each tag's value as text; a list or a map dropped silently would take
        # a tag (pci: ...) off the resource without a word (tenth adversarial pass).
        if isinstance(tag, (bool, list, dict)):
            kind = {bool: "true or false", list: "a list", dict: "a map"}[type(tag)]
            return f"gives the tag {shorten(key, 60)!r} {kind}, not a text value"
        number = _number_problem(tag)
        if number:  # json.loads takes both, and they became the tag values 'nan' and 'inf'
            return f"gives the tag {shorten(key, 60)!r} {number}"
    return _pairs_problem(_tag_pairs(parsed))


def _pairs_problem(pairs: list[tuple[str, str]]) -> str:
    """What is wrong with one line item's tags, found where its line is known: a NUL or a
    lone surrogate (JSON spells them \\u0000 and \\udc80), a tag given twice with two
    values (both were found only once the report was read, naming no line: 71a)."""
    seen: dict[str, str] = {}
    for key, value in pairs:
        if NOT_TEXT.search(key) or NOT_TEXT.search(value):
            return f"gives the tag '{spelt_not_text(shorten(key, 60))}' {NOT_TEXT_WORDS}"
        first = seen.setdefault(key, value)
        if first != value:
            return _twice(key, first, value)
    return ""


def _twice(key: str, first: str, value: str) -> str:
    return (
        f"gives the tag {shorten(key, 60)!r} twice, as {shorten(first, 40)!r} and "
        f"{shorten(value, 40)!r}: which one counts cannot be told, and a scope tag decides "
        "what is audited"
    )


def _number_problem(tag: object) -> str:
    """Why a tag value json.loads read as a float is no number, as the other readers say it
    (shapes.text): NaN is not JSON, and 1e999 is past what a float holds ('' if neither)."""
    if not isinstance(tag, float) or math.isfinite(tag):
        return ""
    return "a number that is NaN (not a number)" if math.isnan(tag) else TOO_LARGE


class Resources:
    """Line-item counts folded into one row per resource (or per service without one)."""

    def __init__(self, layout: Layout, path: Path, limits: Limits) -> None:
        self.layout, self.path, self.limits = layout, path, limits
        # resource -> [line items, tags of the first, {tags: line items} once they differ]
        self.rows: dict[tuple[str, str, str, str], list] = {}
        self.skipped = Skipped("line items")
        self.lines = 0
        self.not_services = not_services()
        self.shared: dict[str, str] = {}

    def fold(self, counts: Counter, line: int) -> None:
        """Adds distinct keys and their counts; refuses a resource past --max-rows."""
        for key, count in counts.items():
            self.add(key, count)
        if len(self.rows) > self.limits.max_rows:
            raise InputError(
                f"more than {self.limits.max_rows:,} distinct resources by this line",
                file=self.path,
                line=line,
                hint="Raise --max-rows if this report is genuine.",
            )

    def add(self, key: tuple[str, ...], count: int) -> None:
        self.lines += count
        field = self._field(key)
        kind = field("type")
        if kind not in USAGE:
            self.skipped.add_named("{} line items", kind, count)
            return
        if field("entity") == MARKETPLACE:
            self.skipped.add("AWS Marketplace line items (third-party products)", count)
            return
        product = field("product")
        if not product or product in self.not_services:
            self.skipped.add(f"line items of {product or 'no product code'} (not a service)", count)
            return
        zone = field("zone")
        region = field("region") or (zone[:-1] if zone[-1:].isalpha() else zone)
        # Every line's fields are strings of their own: those that repeat (a product, an
        # account, a tag value) are shared, or each resource kept five more (650 bytes a
        # resource where 350 do).
        share = self.shared.setdefault
        account = field("account")
        resource = (
            share(product, product),
            field("resource"),
            share(account, account),
            share(region, region),
        )
        entry = self.rows.get(resource)
        if entry is None:
            tags = tuple(share(tag, tag) for tag in key[len(self.layout.fields) :])
            self.rows[resource] = [count, tags, None]
            return
        tags = key[len(self.layout.fields) :]
        entry[0] += count
        if entry[2] is None:
            if tags == entry[1]:
                return
            entry[2] = {entry[1]: entry[0] - count}
        entry[2][tags] = entry[2].get(tags, 0) + count

    def _field(self, key: tuple[str, ...]):
        fields = self.layout.fields
        return lambda name: key[fields[name]].strip() if name in fields else ""

    def table(self, limits: Limits) -> SourceTable:
        table = SourceTable([SERVICE, RESOURCE, ACCOUNT, REGION, LINE_ITEMS, NOTES], limits)
        # Each resource is let go as its row is made, so the table reuses its memory: the
        # two side by side peaked at 1.1 GB for a million resources.
        ordered = sorted(self.rows.items(), reverse=True)
        self.rows.clear()
        while ordered:
            resource, (count, tag_values, variants) = ordered.pop()
            if variants:  # the tags of most of its line items; the first seen on a tie
                tag_values = max(variants.items(), key=operator.itemgetter(1))[0]
            product, resource_id, account, region = resource
            notes = "" if resource_id else f"{count:,} line items without a resource ID"
            row = [product, resource_id, account, region, str(count), notes]
            table.add(row, self._tags(tag_values, resource_id))
        return table

    def _tags(self, values: tuple[str, ...], resource: str) -> list[tuple[str, str]]:
        pairs = []
        for key, value in zip(self.layout.tags, values, strict=True):
            if key:
                if value.strip():
                    pairs.append((key, value.strip()))
            elif value.strip():
                pairs += _tag_map(value, self.path)
        self._check_repeats(pairs, resource)
        return pairs

    def _check_repeats(self, pairs: list[tuple[str, str]], resource: str) -> None:
        """A tag given twice with two values is refused, as the other readers refuse it:
        two columns naming one tag kept the last value without a word, and it decided the
        scope (65a). One resource_tags map giving it twice (`user_pci` and `pci`) is found
        with its line (_pairs_problem); two columns are found here, the resource named."""
        seen: dict[str, str] = {}
        for key, value in pairs:
            first = seen.setdefault(key, value)
            if first != value:
                named = f"resource {shorten(resource, 120)!r}" if resource else "a line item"
                raise InputError(
                    f"a line item of {named} {_twice(key, first, value)}",
                    file=self.path,
                    hint="Keep one of them (a resource_tags key is read without its user_).",
                )

    def warnings(self) -> list[str]:
        if not self.skipped:
            return []
        return [f"{self.path}: of {self.lines:,} line items, skipped {self.skipped.listed()}"]


def _tag_map(value: str, path: Path) -> list[tuple[str, str]]:
    """CUR 2.0's resource_tags: {"user_cost_center": "cc-12", ...}."""
    try:
        tags = loads_unique(value)
    except (ValueError, RecursionError) as exc:
        raise InputError(
            f"a resource_tags value is not a JSON map: '{spelt_not_text(value[:80])}'", file=path
        ) from exc
    if not isinstance(tags, dict):
        raise InputError(
            f"a resource_tags value is not a JSON map: '{spelt_not_text(value[:80])}'", file=path
        )
    return _tag_pairs(tags)


def _tag_pairs(tags: dict) -> list[tuple[str, str]]:
    """A resource_tags map's (tag, value) pairs, each key without its ``user_``."""
    pairs = []
    for key, tag in tags.items():
        name = key.strip().removeprefix("user_").strip()  # 'user_ pci' is 'pci' (66a, 68a)
        if name and isinstance(tag, (str, int, float)) and str(tag).strip():
            pairs.append((name, str(tag).strip()))
    return pairs
