"""Third-party plugins: objects other distributions register under an entry-point group.

Three seams take plugins (docs/contributing.md): output formats
(``reportgen.formats``), ticket systems (``reportgen.tickets``) and inventory sources
(``reportgen.inventory_sources``). Each entry point names one object of the seam's type,
``myformat = "acme_reportgen.docx:FORMAT"``; the seam's registry checks its type. Entry
points are looked up when a registry is first consulted, not when reportgen is imported.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from reportgen.core.errors import InputError
from reportgen.core.validation import did_you_mean, shown

T = TypeVar("T")

FORMATS_GROUP = "reportgen.formats"
TICKETS_GROUP = "reportgen.tickets"
INVENTORY_SOURCES_GROUP = "reportgen.inventory_sources"

# The output formats reportgen ships (render/formats.py registers one writer for each; a test
# keeps the two equal). Named here so that the config, below the render stage, can check
# output.formats without importing the writers.
BUILTIN_FORMATS = ("matrix", "xlsx", "oscal", "pdf", "summary")


def format_name_problem(name: str) -> str | None:
    """Why ``name`` is not an output format of this installation (a shipped one or a
    plugin's, by entry-point name, loading nothing), or None."""
    names = [*BUILTIN_FORMATS, *sorted(p.name for p in entry_points(group=FORMATS_GROUP))]
    return None if name in names else unknown_name("output format", name, names)


def unknown_name(what: str, name: str, names: list[str], where: str = "") -> str:
    """The message for a name that is none of ``names``: a "did you mean", then the list."""
    prefix = f"{where}: " if where else ""
    return (
        f"{prefix}unknown {what} '{shown(name)}'{did_you_mean(name, names)} "
        f"(valid: {', '.join(names)})"
    )


def load_plugins(group: str, kind: type) -> list[Any]:
    """The objects registered under ``group``, by entry-point name; one that cannot be
    imported, or is not a ``kind``, is an input error naming the entry point (a broken
    plugin is the installation's problem, never a traceback)."""
    found = []
    for point in sorted(entry_points(group=group), key=lambda p: p.name):
        try:
            value = point.load()
        except Exception as exc:  # any import error of someone else's package
            raise InputError(
                f"plugin '{point.name}' ({point.value}) of {group} cannot be loaded: {exc}",
                hint="Reinstall or uninstall the package that provides it.",
            ) from exc
        if not isinstance(value, kind):
            raise InputError(
                f"plugin '{point.name}' ({point.value}) of {group} is not a {kind.__name__}",
                hint="Its entry point must name an object of that type.",
            )
        found.append(value)
    return found


class Registry(Generic[T]):
    """The entries of one seam, by name, in order: the built-in ones, then those registered
    at run time (:meth:`register`), then the plugins of the entry-point group."""

    def __init__(self, what: str, group: str, kind: type, builtins: tuple[T, ...] = ()) -> None:
        self.what, self.group, self.kind = what, group, kind
        self._entries: dict[str, T] = {}
        self._plugins: list[T] | None = None  # loaded on first use
        for entry in builtins:
            self.register(entry)

    def register(self, entry: T) -> T:
        """Add an entry (a name may be registered once); returns it, to use as a decorator."""
        name = _name(entry)
        if name in self._entries:
            raise ValueError(f"{self.what} '{name}' is registered twice")
        self._entries[name] = entry
        return entry

    def unregister(self, name: str) -> None:
        self._entries.pop(name, None)
        self._plugins = None

    def all(self) -> list[T]:
        if self._plugins is None:
            plugins = load_plugins(self.group, self.kind)
            self._plugins = [p for p in plugins if _name(p) not in self._entries]
        return [*self._entries.values(), *self._plugins]

    def names(self) -> list[str]:
        return [_name(entry) for entry in self.all()]

    def find(self, name: str) -> T | None:
        return next((entry for entry in self.all() if _name(entry) == name), None)

    def get(self, name: str, where: str = "") -> T:
        """The entry called ``name``, or an input error listing the valid names."""
        found = self.find(name)
        if found is None:
            raise InputError(self.unknown(name, where))
        return found

    def unknown(self, name: str, where: str = "") -> str:
        return unknown_name(self.what, name, self.names(), where)


def _name(entry: Any) -> str:
    return str(entry.name)
