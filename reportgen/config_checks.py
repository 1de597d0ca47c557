"""The config checked in one pass: its schema, then what it names against the catalogs
(frameworks, their conditions and categories, RACI roles and layers), every problem with
its line, collected into :class:`reportgen.core.validation.Problems` rather than raised one at a
time.

A section with a schema problem is reported and left out of the later checks (they would
only repeat it); the other sections are still checked, so a bad owner in one override does
not hide an unknown layer in the next, nor an unknown condition under framework_options.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reportgen.catalogs.frameworks import Framework
from reportgen.catalogs.names import FrameworkNames
from reportgen.config.model import AWS_ROLE, Config, FrameworkOptions, LoadedConfig, RaciConfig
from reportgen.core.errors import InputError
from reportgen.core.owners import CUSTOMER, holder_name, name_key, spelt_out
from reportgen.core.validation import Problems, did_you_mean, shown
from reportgen.core.yamlio import YamlDocument, load_yaml
from reportgen.ownership.evidence_vocabulary import RACI_FIXED
from reportgen.ownership.raci import plan_raci

# Placeholder customer for checking the other sections when `customer` itself is wrong.
_STAND_IN = {"name": "(not valid)"}
# Sections whose items are checked one by one: a bad item drops only itself.
_ITEMIZED = ("overrides", "framework_options")


@dataclass(frozen=True)
class ReadConfig:
    """A config file read for checking: the sections that passed the schema (all of them
    when ``dropped`` is empty) and its YAML, for the line of every later problem."""

    loaded: LoadedConfig
    doc: YamlDocument
    dropped: frozenset[str] = frozenset()  # top-level keys with a schema problem
    override_index: tuple[int, ...] = ()  # the file's index of each override kept

    @property
    def config(self) -> Config:
        return self.loaded.config

    @property
    def path(self) -> Path:
        return self.loaded.path


def read_config(path: Path, max_bytes: int, problems: Problems) -> ReadConfig:
    """Parse and validate; schema problems go to ``problems``. YAML that cannot be parsed,
    or is not a mapping, is raised at once: nothing else can be checked in it."""
    doc = load_yaml(path, max_bytes=max_bytes)
    problems.what[str(path)] = "config"
    if doc.data is None:
        raise InputError(
            "the config file is empty", file=path, hint="'reportgen init DIR' writes a starter."
        )
    if not isinstance(doc.data, dict):
        raise InputError("config must be a YAML mapping (key: value pairs)", file=path)
    try:
        config = Config.model_validate(doc.data)
        count = len(config.overrides)
        return ReadConfig(LoadedConfig(config=config, path=path), doc, override_index=_seq(count))
    except ValidationError as exc:
        problems.schema(exc, doc, Config)
        return _partial(doc, exc, path)


def _seq(count: int) -> tuple[int, ...]:
    return tuple(range(count))


def _partial(doc: YamlDocument, exc: ValidationError, path: Path) -> ReadConfig:
    """The sections (and override / framework_options items) without a schema problem."""
    bad: dict[str, set[Any]] = {}
    for error in exc.errors(include_url=False, include_input=False):
        loc = tuple(error["loc"])
        if loc:
            bad.setdefault(str(loc[0]), set()).add(loc[1] if len(loc) >= 2 else None)
    data: dict[str, Any] = doc.data
    clean: dict[str, Any] = {}
    dropped: set[str] = set()
    kept = _seq(len(data.get("overrides") or []) if isinstance(data.get("overrides"), list) else 0)
    for key, value in data.items():
        if key not in Config.model_fields:
            continue
        if key not in bad:
            clean[key] = value
        elif key in _ITEMIZED and None not in bad[key] and isinstance(value, (list, dict)):
            if isinstance(value, list):
                kept = tuple(i for i in range(len(value)) if i not in bad[key])
                clean[key] = [value[i] for i in kept]
            else:
                clean[key] = {k: v for k, v in value.items() if k not in bad[key]}
        else:
            dropped.add(key)
    clean.setdefault("customer", _STAND_IN)
    try:
        config = Config.model_validate(clean)
    except ValidationError:  # an item error pydantic placed above its item: check nothing more
        config = Config.model_validate({"customer": _STAND_IN})
        dropped |= set(data) & set(Config.model_fields)
        kept = ()
    if "overrides" in dropped:
        kept = ()
    loaded = LoadedConfig(config=config, path=path)
    return ReadConfig(loaded, doc, frozenset(dropped), kept)


# ---------------------------------------------------------------- frameworks


def select_frameworks(
    requested: Sequence[str], read: ReadConfig, names: FrameworkNames, problems: Problems
) -> list[str]:
    """The framework ids to build: ``--framework`` as given, else the config's, else all;
    names as people write them ('PCI', 'ISO 27001'), each unknown one a problem."""
    if requested:
        found = []
        for text in requested:
            fid = names.resolve(text)
            if fid is None:
                problems.add(f"--framework: {names.unknown(text)}", order=(-1, 0))
            else:
                found.append(fid)
        return list(dict.fromkeys(found))
    configured = read.config.frameworks
    if not configured or "frameworks" in read.dropped:
        return names.ids()
    found = []
    for index, text in enumerate(configured):
        fid = names.resolve(text)
        if fid is None:
            problems.at(read.doc, ("frameworks", index), names.unknown(text))
        else:
            found.append(fid)
    return list(dict.fromkeys(found))


def normalise_frameworks(
    read: ReadConfig,
    names: FrameworkNames,
    frameworks: dict[str, Framework],
    problems: Problems,
) -> LoadedConfig:
    """The config with framework ids where it named frameworks otherwise (``PCI DSS:`` under
    framework_options is ``pci-dss``), and its categories and conditions checked."""
    config = read.config
    ids = [names.resolve(text) for text in config.frameworks or []]
    options: dict[str, FrameworkOptions] = {}
    for key, value in config.framework_options.items():
        fid = names.resolve(key)
        if fid is None:
            problems.at(read.doc, ("framework_options", key), names.unknown(key))
            continue
        if fid in options:
            problems.at(
                read.doc, ("framework_options", key), f"names {fid} again (given once already)"
            )
            continue
        _check_answers(read, key, value, frameworks[fid], problems)
        options[fid] = value
    update: dict[str, Any] = {"framework_options": options}
    if config.frameworks is not None:
        update["frameworks"] = list(dict.fromkeys(fid for fid in ids if fid)) or None
    return LoadedConfig(config=config.model_copy(update=update), path=read.path)


def _check_answers(
    read: ReadConfig, key: str, options: FrameworkOptions, framework: Framework, problems: Problems
) -> None:
    where = ("framework_options", key)
    categories = [c.id for c in framework.categories]
    for category in options.categories or []:
        if category not in categories:
            choices = ", ".join(categories) or f"{framework.id} has none"
            problems.at(
                read.doc,
                (*where, "categories"),
                f"unknown category '{shown(category)}'{did_you_mean(category, categories)} "
                f"(categories: {choices})",
                value=category,
            )
    conditions = [c.id for c in framework.conditions]
    for condition in options.conditions:
        if condition not in conditions:
            choices = ", ".join(conditions) or f"{framework.id} has none"
            problems.at(
                read.doc,
                (*where, "conditions", condition),
                f"unknown condition '{shown(condition)}'{did_you_mean(condition, conditions)} "
                f"(conditions: {choices}; 'reportgen controls {framework.id}' shows their "
                "questions)",
            )


# ---------------------------------------------------------------- RACI


def check_raci(read: ReadConfig, layers: Sequence[str], problems: Problems) -> None:
    """raci.py's rules, each problem on the line of the key it names (the section's line
    when the problem is a default the file does not write)."""
    if "raci" in read.dropped:
        return
    config: RaciConfig = read.config.raci
    try:
        plan_raci(config, layers, where=str(read.path))
    except InputError as exc:
        problems.at_path(read.doc, exc.details or [exc.message])
    _check_party_names(read, config, problems)


MAX_PARTIES = 100  # third parties named in overrides: an MSP, a payment processor...


# Names the pack gives parties that are not third parties: a third party called 'Customer'
# was taken for the customer itself in the OSCAL plan (its duties bound to the customer's
# party, 27 UUIDs twice), one called 'Amazon Web Services' made a second AWS party
# (thirteenth adversarial pass).
_RESERVED_PARTIES = {
    name_key(AWS_ROLE): "AWS",
    name_key("Amazon Web Services"): "AWS",
    name_key(holder_name((CUSTOMER, None))): "the name the pack gives the customer's own part",
    # a party is a column of the RACI sheet: named like one of its own, the pack's own
    # workbook was refused when read back (56a)
    **{name_key(n): f"the RACI sheet's own '{n}' column" for n in RACI_FIXED},
}


def _check_party_names(read: ReadConfig, config: RaciConfig, problems: Problems) -> None:
    """A third party is a column of its own in the RACI: one named like a role, or AWS,
    shared that role's column and key, giving a row two Accountables and folding the
    provider's part into the role's (twelfth adversarial pass). Names are compared as a
    reader tells them apart (name_key): 'AWS' with a zero-width space was a second AWS
    (fifteenth pass)."""
    if "overrides" in read.dropped:
        return
    taken = {name_key(role): f"the RACI role '{shown(role)}'" for role in config.roles}
    taken |= _RESERVED_PARTIES
    parties = {(o.party or "").strip().casefold() for o in read.config.overrides} - {""}
    if len(parties) > MAX_PARTIES:  # each a column of the RACI sheet, as a role is
        problems.at_path(
            read.doc,
            [f"overrides: {len(parties):,} third parties; at most {MAX_PARTIES} (each is a "
             "column of the RACI sheet)"],
        )  # fmt: skip
    seen: dict[str, tuple[int, str]] = {}  # name_key -> first override naming it, its name
    for index, override in enumerate(read.config.overrides):
        party = (override.party or "").strip()
        what = _party_clash(index, party, taken, seen)
        if what is not None:
            problems.at_path(
                read.doc,
                [f"overrides[{index}].party: '{shown(spelt_out(party))}' is {what}; a third "
                 "party needs a name of its own (its own column in the RACI, Responsible for "
                 "its part)"],
            )  # fmt: skip


def _party_clash(
    index: int, party: str, taken: dict[str, str], seen: dict[str, tuple[int, str]]
) -> str | None:
    """What ``party`` would be mistaken for: a role, AWS, the customer, or another party
    spelt to look the same (the same party in another case or spacing is the same party)."""
    key = name_key(party)
    if not party:
        return None
    if not key:
        return "nothing a reader can see"
    if key in taken:
        return taken[key]
    first, name = seen.setdefault(key, (index, party))
    if name.casefold() != party.casefold():
        return f"drawn like '{shown(spelt_out(name))}' (overrides[{first}]), another party"
    return None
