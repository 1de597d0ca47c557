"""What a reader skipped, counted by kind, for a warning line of bounded length.

Some kinds are named by the file itself (a line-item type, a Terraform provider): a file
of a million distinct names held a million counts and made one warning line of hundreds
of megabytes (a 300 MB cost report: 2.1 GB and a 307 MB line, 60a). The first
:data:`NAMED_KINDS` such kinds are named, each name cut to :data:`NAME_CHARS`; the items of
the others are counted together.
"""

from __future__ import annotations

from collections import Counter

from reportgen.core.markdown import shorten

NAMED_KINDS = 20  # AWS's cost reports have about a dozen line-item types
NAME_CHARS = 60


class Skipped:
    """Items skipped, by kind; ``noun`` says what the items past the named kinds are."""

    def __init__(self, noun: str) -> None:
        self.noun = noun
        self.counts: Counter[str] = Counter()
        self.named = 0  # kinds named by the file among ``counts``
        self.others = 0  # items of the kinds named past NAMED_KINDS

    def add(self, kind: str, count: int = 1) -> None:
        """A kind the reader knows (bounded by its code): always counted."""
        self.counts[kind] += count

    def add_named(self, label: str, name: str, count: int = 1) -> None:
        """A kind the file names: ``label`` with '{}' where the (cut) name goes."""
        kind = label.format(shorten(name, NAME_CHARS))
        if kind in self.counts:
            self.counts[kind] += count
        elif self.named < NAMED_KINDS:
            self.named += 1
            self.counts[kind] = count
        else:
            self.others += count

    def __bool__(self) -> bool:
        return bool(self.counts or self.others)

    def listed(self) -> str:
        """'2 data source(s), 1 resource(s) of provider 'random'', kinds in order."""
        said = [f"{count:,} {kind}" for kind, count in sorted(self.counts.items())]
        if self.others:
            said.append(
                f"{self.others:,} {self.noun} of other kinds (past the first {NAMED_KINDS})"
            )
        return ", ".join(said)
