"""A resource listed a second time is read once, as first listed, by a pull and by an
export alike: a Tagging API export holding one bucket twice, first tagged out of scope and
then in it, put it in the PCI pack, while the pull of the same answer wrote it once and left
it out (pass 66a), though a snapshot and the export it mirrors are to give the same pack."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from typing import Any


class SeenResources:
    """The resources read so far, as digests of what names each: 8 bytes apiece (a
    million took about 60 MB)."""

    def __init__(self) -> None:
        self._digests: set[int] = set()

    def first_time(self, names: Sequence[str]) -> bool:
        """Whether no resource going by any of ``names`` was read before (and note that
        one going by each of them now was)."""
        digests = [
            int.from_bytes(
                hashlib.sha256(name.encode("utf-8", "surrogatepass")).digest()[:8], "big"
            )
            for name in names
        ]
        fresh = not any(digest in self._digests for digest in digests)
        self._digests.update(digests)
        return fresh


def _digest(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode("utf-8", "surrogatepass")).digest()[:8], "big")


def resource_name(
    item: Any, cells: Sequence[str] | None, identity_cells: int, resource_cell: int
) -> str:
    """What names the resource ``item`` describes: the cells of its row that do (its ARN),
    not its whole text: the same resource with its tags in another order, or a tag changed
    between two pages, was written twice (pass 29a). An item with nothing naming its
    resource (no ARN or id), or no row (``cells`` None), is named by its text: two buckets
    of one account and region were one resource, and 'sent a second time' (31a)."""
    if not cells or not cells[resource_cell]:
        return "\x01" + _whole_text(item)
    return "\x00".join(str(cell) for cell in cells[:identity_cells])


def _whole_text(item: Any) -> str:
    """``item`` as text in one form whatever its keys' order and spacing: an AWS Config
    result is a string of JSON, and one bucket sent again with its keys in another order
    was a resource of its own, a row again, and no page counted as a repeat (35c)."""
    if isinstance(item, str):
        with contextlib.suppress(ValueError, RecursionError):
            item = json.loads(item)
    return json.dumps(item, sort_keys=True, default=str, ensure_ascii=True)
