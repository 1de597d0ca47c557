"""Framework names as people write them: ``PCI``, ``PCI DSS``, ``PCI-DSS 4.0.1``,
``ISO 27001``, ``ISO/IEC 27001:2022``, ``SOC2``, ``SOC 2``, any case.

One lookup for every place a framework is named: ``--framework``, ``reportgen controls``,
``explain --framework``, the config's ``frameworks`` and ``framework_options`` and the
inventory's scope columns. A name is compared without case, spaces or punctuation; each
catalog's id, name and aliases are accepted alone or followed by the catalog's version
(``PCI DSS v4.0.1``, ``PCI DSS 4.0``, ``ISO 27001:2022``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from reportgen.catalogs.frameworks import Framework
from reportgen.core.validation import shown, suggest

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)", re.IGNORECASE)


def name_key(text: str) -> str:
    """'PCI-DSS 4.0.1' -> 'pcidss401'."""
    return _NON_ALNUM.sub("", text.casefold())


def written_names(framework: Framework) -> list[str]:
    """The names the catalog gives a framework, its own first: id, name, aliases."""
    return list(dict.fromkeys([framework.name, *framework.aliases, framework.id]))


def _version_keys(version: str) -> list[str]:
    """'4.0.1' -> ['4', '40', '401', 'v4', 'v40', 'v401']: each leading part of the version."""
    match = _VERSION.match(version.strip())
    if not match:
        return []
    parts = match.group(1).split(".")
    keys = ["".join(parts[: n + 1]) for n in range(len(parts))]
    return keys + [f"v{key}" for key in keys]


class FrameworkNames:
    """Finds a framework id by any name people write for it."""

    def __init__(self, frameworks: Iterable[Framework]) -> None:
        self._keys: dict[str, str] = {}
        self._names: dict[str, list[str]] = {}
        for framework in frameworks:
            names = written_names(framework)
            self._names[framework.id] = names
            versions = _version_keys(framework.version)
            for name in names:
                key = name_key(name)
                self._keys.setdefault(key, framework.id)
                for version in versions:
                    self._keys.setdefault(key + version, framework.id)

    @classmethod
    def of(cls, frameworks: Mapping[str, object]) -> FrameworkNames:
        """From catalogs.frameworks (LoadedFramework values) or a dict of Frameworks."""
        return cls(getattr(f, "framework", f) for f in frameworks.values())  # type: ignore[misc]

    def ids(self) -> list[str]:
        return list(self._names)

    def keys(self, framework_id: str) -> list[str]:
        """Every normalised name of a framework (for the inventory's scope parser)."""
        return [key for key, fid in self._keys.items() if fid == framework_id]

    def resolve(self, text: str) -> str | None:
        return self._keys.get(name_key(text)) if text else None

    def suggestions(self, text: str) -> list[str]:
        """Framework ids whose names are close to ``text``."""
        by_name = {name: fid for fid, names in self._names.items() for name in names}
        close = suggest(text, by_name, limit=5)
        return list(dict.fromkeys(by_name[name] for name in close))

    def unknown(self, text: str) -> str:
        """'unknown framework 'x'; did you mean pci-dss? (frameworks: ...)' in one line."""
        close = self.suggestions(text)
        mean = f"; did you mean {' or '.join(close)}?" if close else ""
        return f"unknown framework '{shown(text)}'{mean} (frameworks: {', '.join(self.ids())})"
