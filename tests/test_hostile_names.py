"""Customer names and framework ids become folder and file names: they must never leave the
output directory, whatever a config says (``../``, absolute paths, reserved device names,
very long names, Unicode, NUL)."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest
from conftest import write_csv
from hostile import PATHS, UNICODE, check_pack, tally
from hypothesis import given
from hypothesis import strategies as st

from reportgen.core.errors import InputError
from reportgen.core.slug import MAX_ID, MAX_SLUG, WINDOWS_RESERVED, is_safe_id, slugify
from reportgen.inputs import RunOptions
from reportgen.pipeline import BuildOptions, build
from reportgen.render import RenderOptions

pytestmark = pytest.mark.usefixtures("cached_catalogs")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ANY = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)


@given(ANY)
def test_slugs_are_plain_safe_names(text):
    slug = slugify(text)
    assert SLUG.match(slug), slug
    assert len(slug) <= MAX_SLUG + len("-customer")
    assert slug not in WINDOWS_RESERVED and slug.split(".")[0] not in WINDOWS_RESERVED
    for flavour in (PurePosixPath, PureWindowsPath):
        joined = flavour("base") / slug
        assert joined.parent == flavour("base") and not joined.is_absolute()
        assert joined.name == slug


@given(ANY)
def test_ids_accepted_as_folder_names_are_slugs(text):
    if is_safe_id(text):
        assert SLUG.match(text) and len(text) <= MAX_ID and text not in WINDOWS_RESERVED


@pytest.mark.parametrize(
    "text",
    ["CON", "con", "Nul", "COM1", "lpt9", "COM¹", "con.txt", "..", ".", "/", "\\", "\x00", ""],
)
def test_reserved_and_empty_names_get_a_safe_slug(text):
    slug = slugify(text)
    assert SLUG.match(slug) and slug.split("-")[0] not in ("", ".") and slug not in WINDOWS_RESERVED


NAMES = [
    *PATHS,
    *UNICODE[:-1],
    "nul\x00byte",
    "\u202e\x00../../x",
    "a" * 200,
    "Ünïcödé Ltd — «Test»",
    "ＣＯＮ",  # full-width letters fold to 'con'
]
# Every writer names its files from the same slug; these names run them all, PDF included,
# and the rest build matrix.json and the workbook (a PDF costs seconds per build).
EVERY_WRITER = {"../../../../etc/passwd", "\u202e\x00../../x", "a" * 200, "ＣＯＮ"}


def _yaml_string(text: str) -> str:
    """A YAML double-quoted scalar holding exactly ``text``, NUL and controls included."""
    plain = (c if " " <= c <= "~" and c not in '"\\' else f"\\U{ord(c):08x}" for c in text)
    return '"' + "".join(plain) + '"'


@pytest.mark.parametrize("name", NAMES, ids=range(len(NAMES)))
@pytest.mark.parametrize("key", ["name", "short_name"])
def test_hostile_customer_names_stay_inside_the_output_directory(tmp_path, monkeypatch, name, key):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    write_csv(work / "inventory.csv", [["Service"], ["Amazon S3"]])
    customer = {"name": "Test Co", key: name} if key == "short_name" else {"name": name}
    body = "customer:\n" + "".join(f"  {k}: {_yaml_string(v)}\n" for k, v in customer.items())
    (work / "reportgen.yaml").write_text(body + "inventory: {path: inventory.csv}\n")
    # One framework: its folder name is fixed; the customer name is what is under test.
    writers = None if name in EVERY_WRITER else ("matrix", "xlsx")
    options = BuildOptions(
        run=RunOptions(config=Path("reportgen.yaml"), frameworks=("soc2",)),
        render=RenderOptions(writers=writers),
    )
    try:
        result = build(options)
    except InputError as error:  # only a too-long name may be refused
        assert "at most" in str(error), error
        tally("hostile names", "clean error")
        return
    out = (work / result.out_dir).resolve()
    assert out.parent == (work / "output").resolve(), out
    assert SLUG.match(out.name), out.name
    check_pack(out, ["soc2"])
    suffixes = {p.suffix for p in (out / "soc2").iterdir()}
    assert suffixes == ({".json", ".xlsx", ".pdf"} if writers is None else {".json", ".xlsx"})
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(p.is_relative_to(out) or p.parent == work for p in written), written
    tally("hostile names", "pack")
