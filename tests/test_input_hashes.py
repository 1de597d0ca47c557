"""The input hashes a pack records are of the bytes the build read: a file written while
the build reads it is refused, not recorded with a hash of content it never used."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

import reportgen.inputs as inputs_module
from reportgen.core.errors import InputError
from reportgen.inputs import RunOptions, load_inputs


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_each_input_is_recorded_with_the_hash_of_what_was_read(project: Path):
    loaded = load_inputs(RunOptions(config=project / "reportgen.yaml"))
    recorded = {f.role: (f.sha256, f.size) for f in loaded.files}
    for role, name in (("config", "reportgen.yaml"), ("inventory", "inventory.csv")):
        path = project / name
        assert recorded[role] == (_sha(path), path.stat().st_size)


@pytest.mark.parametrize("edit", ["append", "replace"])
def test_an_inventory_saved_during_the_build_is_refused(project: Path, monkeypatch, edit):
    inventory = project / "inventory.csv"
    read = inputs_module.read_inventory

    def read_then_edit(*args, **kwargs):
        result = read(*args, **kwargs)
        if edit == "append":  # an editor writing in place
            with inventory.open("a") as handle:
                handle.write("Amazon SNS,topic-1,111122223333,eu-west-1,all\n")
        else:  # an editor saving a new file and renaming it over (same bytes, even)
            spare = project / "saved.csv"
            spare.write_bytes(inventory.read_bytes())
            spare.replace(inventory)
        return result

    monkeypatch.setattr(inputs_module, "read_inventory", read_then_edit)
    with pytest.raises(InputError) as caught:
        load_inputs(RunOptions(config=project / "reportgen.yaml"))
    assert "the inventory changed while this build read it" in caught.value.message
    assert caught.value.file == str(inventory)


def test_a_fifo_swapped_in_after_the_read_is_never_opened(project: Path, monkeypatch):
    inventory = project / "inventory.csv"
    read = inputs_module.read_inventory

    def read_then_swap(*args, **kwargs):
        result = read(*args, **kwargs)
        inventory.unlink()
        os.mkfifo(inventory)  # opening it to hash would block for ever
        return result

    monkeypatch.setattr(inputs_module, "read_inventory", read_then_swap)
    with pytest.raises(InputError) as caught:
        load_inputs(RunOptions(config=project / "reportgen.yaml"))
    assert "FIFO" in caught.value.message
