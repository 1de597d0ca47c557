"""Inventories that cost time by their number of rows, not by their size: thousands of
distinct unknown service names, and files of blank lines. Through the command line; the
bounds are on the work done (calls made, lines read), never on seconds."""

from __future__ import annotations

import difflib
import random
import string
import sys
from pathlib import Path

import pytest
from conftest import write_config, write_xlsx
from measured import measured

from reportgen import cli
from reportgen.catalogs import resolve
from reportgen.catalogs.resolve import ServiceResolver, loose_key
from reportgen.cli import main
from reportgen.core.errors import InputError
from reportgen.core.markdown import shorten
from reportgen.inventory import csv_lines, load, readers
from reportgen.inventory.csv_text import BLOCK, csv_encoding
from reportgen.inventory.limits import Limits
from reportgen.inventory.sources import jsonstream

CONFIG = "customer:\n  name: Test Co\nframeworks: [soc2]\n"


def invoke(
    folder: Path, inventory: Path, *args: str, capfd: pytest.CaptureFixture, config: str = CONFIG
) -> tuple[int, str]:
    """``reportgen validate`` in this process (so a test can count calls): status, output.
    Tables are printed 200 characters wide, so that no cell is folded."""
    config_path = write_config(folder, config)
    argv = ["validate", "--config", str(config_path), "--inventory", str(inventory), *args]
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(cli.out, "width", 200)
            main(argv)
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    out, err = capfd.readouterr()
    return status, " ".join((out + err).split())


def names(count: int, seed: int = 1) -> list[str]:
    """Distinct unknown service names, as the adversarial report wrote them."""
    rng = random.Random(seed)
    return [f"svc{''.join(rng.choices(string.ascii_lowercase, k=20))}" for _ in range(count)]


# --------------------------------------------------------------- unknown service names


@pytest.fixture
def suggest_calls(monkeypatch) -> list[str]:
    calls: list[str] = []
    original = ServiceResolver.suggest

    def counting(self, text, limit=3):
        calls.append(text)
        return original(self, text, limit)

    monkeypatch.setattr(ServiceResolver, "suggest", counting)
    return calls


def test_suggestions_for_the_first_distinct_unknown_names_only(tmp_path, capfd, suggest_calls):
    unknown = names(2_500)
    lines = ["Service,Resource ID", "Amazon S3,b-1", "Amazon Dynamo,t-1"]
    lines += [f"{name},r-{n}" for n, name in enumerate(unknown)]
    lines += [f"{unknown[0]},again"]  # a repeated name is looked up once
    path = tmp_path / "inv.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    status, output = invoke(tmp_path, path, capfd=capfd)
    assert status == 0, output
    # One call per distinct name, up to the cap, in reading order: the typo comes first.
    assert len(suggest_calls) == load.MAX_SUGGESTED
    assert suggest_calls[:2] == ["Amazon Dynamo", unknown[0]]
    assert len(set(suggest_calls)) == len(suggest_calls)
    rows = 1 + len(unknown) + 1
    without = rows - load.MAX_SUGGESTED - 1  # the repeat shares the first name's answer
    assert (
        f"inv.csv: more than 1,000 distinct unknown service names; the {without:,} rows "
        "naming the others are listed without suggestions"
    ) in output
    # What is printed stays short: the first 50 rows, with their row numbers and
    # suggestions, then a count.
    assert f"Unresolved inventory rows ({rows})" in output
    assert "│ 3 │ A (Service) │ Amazon Dynamo │ unknown service │ Amazon DynamoDB," in output
    assert f"... and {rows - 50} more" in output
    assert unknown[48] in output and unknown[49] not in output
    assert len(output) < 20_000


def test_a_long_unresolved_value_is_shown_cut(tmp_path, capfd):
    """Pass 62a: each value of the unresolved rows was printed whole: a cell of 32,000
    characters filled some 2,000 lines of the table."""
    path = tmp_path / "inv.csv"
    path.write_text("Service\nAmazon S3\n" + "q" * 32_000 + "\n", encoding="utf-8")
    status, output = invoke(tmp_path, path, capfd=capfd)
    assert status == 0 and "Unresolved inventory rows (1)" in output, output[:500]
    assert "…" in output and output.count("q") < 1_000, output.count("q")
    assert len(output) < 10_000


def test_strict_lists_the_first_problems_and_counts_the_rest(tmp_path, capfd, suggest_calls):
    unknown = names(1_500, seed=2)
    path = tmp_path / "inv.csv"
    path.write_text(
        "Service\nAmazon S3\nAmazon Dynamo\n" + "".join(f"{name}\n" for name in unknown),
        encoding="utf-8",
    )
    status, output = invoke(tmp_path, path, "--strict", capfd=capfd)
    assert status == 2, output
    assert "inventory is not valid (1,501 problems)" in output
    assert (
        "inv.csv: inventory is not valid (1,501 problems) - row 3, column A (Service): 'Amazon "
        "Dynamo' could not be resolved (--strict): unknown service; did you mean Amazon DynamoDB"
    ) in output
    assert "… and 1,301 more; fix these first" in output
    assert len(suggest_calls) == load.MAX_SUGGESTED


def _mutations(rng: random.Random, words: list[str], count: int) -> list[str]:
    out = []
    for _ in range(count):
        chars = list(rng.choice(words))
        for _ in range(rng.randint(0, 3)):
            at = rng.randrange(len(chars) + 1)
            edit = rng.choice(("drop", "add", "swap"))
            if edit == "add" or not chars:
                chars.insert(at, rng.choice(string.ascii_lowercase))
            elif edit == "drop":
                chars.pop(min(at, len(chars) - 1))
            else:
                chars[min(at, len(chars) - 1)] = rng.choice(string.ascii_lowercase)
        out.append("".join(chars))
    return out


def test_close_names_answer_as_difflib_does(catalogs):
    """The character-count filter only drops choices difflib would drop: the same answer
    as difflib over every choice, for typos of real names and for random words."""
    resolver = catalogs.resolver
    rng = random.Random(7)
    services = list(catalogs.catalog.services.values())
    real = [name for s in services for name in (s.id, s.name, *s.aliases)]
    words = _mutations(rng, real, 400)
    words += [
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(1, 60))) for _ in range(300)
    ]
    checked = 0
    for word in words:
        key = loose_key(word)[:100]
        if key:
            expected = difflib.get_close_matches(key, resolver._choices, n=9, cutoff=0.75)
            assert resolver._close.get(key, n=9, cutoff=0.75) == expected, word
            checked += 1
    assert checked > 400


def test_close_names_hand_difflib_few_choices(catalogs, monkeypatch):
    """The cost of a suggestion: difflib compares a random name with a handful of the
    catalog's ~900 names, not all of them (that took 2 ms a name, 216 s for 100,000)."""
    handed: list[int] = []
    real = difflib.get_close_matches

    def counting(word, possibilities, n=3, cutoff=0.6):
        handed.append(len(possibilities))
        return real(word, possibilities, n, cutoff)

    monkeypatch.setattr(resolve.difflib, "get_close_matches", counting)
    resolver = ServiceResolver(catalogs.catalog)
    assert len(resolver._choices) > 500
    for name in names(300, seed=3):
        resolver.suggest(name)
    assert len(handed) == 300
    assert sum(handed) <= 300 and max(handed) <= 10, sorted(handed)[-10:]


# --------------------------------------------------------------- blank lines and rows


@pytest.fixture
def lines_read(monkeypatch) -> list[int]:
    """Counts the lines the CSV reader takes from the file."""
    count = [0]
    original = readers._open_text

    class Counting:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            self.handle.__enter__()
            return self

        def __exit__(self, *exc):
            return self.handle.__exit__(*exc)

        def read(self, size=-1):
            return self.handle.read(size)

        def readline(self, size=-1):
            piece = self.handle.readline(size)
            count[0] += piece.endswith(("\n", "\r"))  # a piece that ends a line
            return piece

    monkeypatch.setattr(readers, "_open_text", lambda *a: Counting(original(*a)))
    return count


def test_blank_lines_count_toward_max_rows(tmp_path, capfd, lines_read):
    path = tmp_path / "inv.csv"
    path.write_text("Service,Resource ID\nAmazon S3,x\n" + "\n" * 200_000, encoding="utf-8")
    status, output = invoke(tmp_path, path, "--max-rows", "1000", capfd=capfd)
    assert status == 2, output
    assert (
        "inv.csv, row 1002: more than 1,000 rows below the header row (row 1), 999 of them blank"
    ) in output
    assert "raise --max-rows if this inventory is genuine" in output
    # Read as far as the limit (blank lines are passed over in runs of 4,096), not 200,000.
    assert lines_read[0] <= 1002 + csv_lines.SKIP + 1


@pytest.mark.parametrize("blank", [",,,\n", "   \n", '"",""\n', "\r\n", "\r"])
def test_rows_of_empty_cells_count_too(tmp_path, capfd, blank):
    path = tmp_path / "inv.csv"
    path.write_text("Service,Resource ID\nAmazon S3,x\n" + blank * 5_000, encoding="utf-8")
    status, output = invoke(tmp_path, path, "--max-rows", "1000", capfd=capfd)
    assert status == 2, output
    assert "inv.csv, row 1002: more than 1,000 rows below the header row (row 1)" in output


def test_blank_rows_of_a_workbook_count_too(tmp_path, capfd):
    rows: list[list[object]] = [["Service", "Resource ID"], ["Amazon S3", "x"]]
    rows += [[] for _ in range(3_000)] + [["stray"]]
    path = write_xlsx(tmp_path / "inv.xlsx", rows)
    status, output = invoke(tmp_path, path, "--max-rows", "1000", capfd=capfd)
    assert status == 2, output
    assert (
        "inv.xlsx, sheet 'Inventory', row 1002: more than 1,000 rows below the header row "
        "(row 1), 999 of them blank"
    ) in output
    assert "a stray cell far down makes a sheet that long" in output
    status, output = invoke(tmp_path, path, "--max-rows", "5000", capfd=capfd)
    assert status == 0, output


def test_row_numbers_stay_right_past_blank_lines(tmp_path, capfd):
    body = 'Service,Notes\nAmazon S3,"one\n\n\nfour"\n' + "\n" * 10_000 + "Amazon Dynamo,x\n"
    path = tmp_path / "inv.csv"
    path.write_text(body, encoding="utf-8")
    status, output = invoke(tmp_path, path, "--strict", capfd=capfd)
    assert status == 2, output
    # The quoted cell with blank lines is one record (row 2); then 10,000 blank rows.
    assert (
        "inv.csv, row 10003, column A (Service): 'Amazon Dynamo' could not be resolved"
    ) in output
    table = readers.read_table(path, Limits())
    assert list(table.sheets[0].rows) == [
        (1, ["Service", "Notes"]),
        (2, ["Amazon S3", "one\n\n\nfour"]),
        (2 + csv_lines.SKIP + 1, []),  # one blank line in 4,096 is handed on
        (2 + 2 * (csv_lines.SKIP + 1), []),
        (10_003, ["Amazon Dynamo", "x"]),
    ]


def test_the_header_window_counts_blank_lines(tmp_path, capfd):
    path = tmp_path / "inv.csv"
    path.write_text("\n" * 40 + "Service\nAmazon S3\n", encoding="utf-8")
    status, output = invoke(tmp_path, path, capfd=capfd)
    assert status == 2, output
    assert (
        "inv.csv: no header row in the first 30 rows (all blank); the first filled row is row 41"
    ) in output


def test_a_file_of_blank_lines_is_not_searched_to_its_end(tmp_path, capfd, lines_read):
    path = tmp_path / "inv.csv"
    path.write_text("\n" * 100_000 + "Service\nAmazon S3\n", encoding="utf-8")
    status, output = invoke(tmp_path, path, "--max-rows", "1000", capfd=capfd)
    assert status == 2, output
    assert (
        "inv.csv, row 1031: no header row in the first 30 rows, and the 1,000 rows after it "
        "are blank too"
    ) in output
    assert lines_read[0] <= 1030 + 2 * (csv_lines.SKIP + 1)


def test_header_row_is_bounded_by_max_rows(tmp_path, capfd):
    titles = "".join(f"title {n},x\n" for n in range(1, 2000))
    path = tmp_path / "inv.csv"
    path.write_text(titles + "Service\nAmazon S3\n", encoding="utf-8")
    config = CONFIG + "inventory:\n  header_row: 2000\n"
    status, output = invoke(tmp_path, path, "--max-rows", "1000", capfd=capfd, config=config)
    assert status == 2, output
    assert "inventory.header_row is 2,000, beyond the 1,000 rows reportgen reads" in output
    status, output = invoke(tmp_path, path, capfd=capfd, config=config)
    assert status == 0, output
    # The 1,999 rows above the header are passed over, not listed one by one.
    assert (
        "row(s) 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 1,989 more above this header row were "
        "skipped as titles"
    ) in output


def test_fifty_million_blank_lines(tmp_path):
    """The adversarial report's file (#26): 50 MB of blank lines after one row took 235 s
    and 310 MB. Refused at the row limit, in a separate process whose peak RSS is
    measured: the file is streamed, not read whole."""
    path = tmp_path / "inv.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("Service,Resource ID\nAmazon S3,x\n")
        for _ in range(50):
            out.write("\n" * 1_000_000)
    write_config(tmp_path, CONFIG)
    argv = [sys.executable, "-m", "reportgen", "validate", "--config", "reportgen.yaml"]
    result = measured([*argv, "--inventory", str(path)], tmp_path, cwd=tmp_path)
    assert result.status == 2, result.stderr
    assert (
        "inv.csv, row 1000002: more than 1,000,000 rows below the header row (row 1), "
        "999,999 of them blank"
    ) in result.text
    assert result.rss_mb < 150, result.rss_mb  # about 70 MB; read whole, some 300 MB
    assert "Traceback" not in result.stderr


def test_wide_rows_are_read_a_few_at_a_time(tmp_path):
    """Issue 20 (pass 7): rows were read 4,096 at a time, every cell kept, so memory grew
    with the file when its rows were wide (a 200 MB CSV of 100 cells of 2,000 characters a
    row peaked at 270 MB). A chunk now ends at 4 M characters as well."""
    path = tmp_path / "inv.csv"
    cells = ",".join(["a" * 2000] * 100)
    with path.open("w", encoding="utf-8") as out:
        out.write("Service,Resource ID," + ",".join(f"c{i}" for i in range(100)) + "\n")
        for row in range(600):
            out.write(f"Amazon S3,bucket-{row},{cells}\n")
    write_config(tmp_path, CONFIG)
    argv = [sys.executable, "-m", "reportgen", "validate", "--config", "reportgen.yaml"]
    result = measured([*argv, "--inventory", str(path)], tmp_path, cwd=tmp_path)
    assert result.status == 0, result.stderr
    assert result.rss_mb < 110, result.rss_mb  # about 80 MB; 4,096 rows at a time, 190 MB


# --------------------------------------------------------------- the encoding, streamed


def test_encoding_is_found_block_by_block(tmp_path):
    path = tmp_path / "inv.csv"
    head = b"Service,Notes\n" + b"a" * (BLOCK - 15) + b"\n"
    # A two-byte character across the first block's end is valid UTF-8.
    path.write_bytes(head[:-1] + "é\n".encode())
    assert csv_encoding(path).name == "utf-8-sig" and not csv_encoding(path).warnings
    # A bad byte far into the file is found, at its offset in the file.
    path.write_bytes(head + b"x" * BLOCK + b"caf\xe9\n")
    encoding = csv_encoding(path)
    assert encoding.name == "cp1252"
    offset = len(head) + BLOCK + 3
    assert f"not valid UTF-8 (first bad byte at offset {offset})" in encoding.warnings[0]
    path.write_bytes(b"\xef\xbb\xbfService\nS3\n")
    assert csv_encoding(path).name == "utf-8-sig"
    path.write_bytes(b" \n" * BLOCK)
    with pytest.raises(InputError, match="inventory file has no content"):
        csv_encoding(path)


def test_a_csv_read_streamed_matches_the_file(tmp_path):
    rows = [["Service", "Notes"], ["Amazon S3", "Zürich"], ["AWS Lambda", "line\nbreak"]]
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "cp1252"):
        path = tmp_path / f"inv-{encoding}.csv"
        text = 'Service;Notes\r\nAmazon S3;Zürich\r\nAWS Lambda;"line\nbreak"\r\n'
        path.write_bytes(text.encode(encoding))
        table = readers.read_table(path, Limits())
        assert [cells for _, cells in table.sheets[0].rows] == rows, encoding


# --------------------------------------------------------------- a line with no end


def _one_long_line(path: Path, head: str, filler: str, megabytes: int) -> Path:
    """``head`` then ``filler`` repeated to about ``megabytes`` MB, written 1 MB at a time."""
    block = filler * ((1 << 20) // len(filler.encode("utf-8")))
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(head)
        for _ in range(megabytes):
            out.write(block)
    return path


def test_a_line_with_no_end_is_refused_as_it_grows(tmp_path):
    """Row 27 of the second adversarial report: the line was read whole (a 500 MB line: 1.09
    GB) before csv refused its cell; now pieces of 64 K characters are checked as they come."""
    path = _one_long_line(tmp_path / "inv.csv", "Service,Account\nAmazon S3,", "x", 120)
    write_config(tmp_path, CONFIG)
    argv = [sys.executable, "-m", "reportgen", "validate", "--config", "reportgen.yaml"]
    result = measured([*argv, "--inventory", str(path)], tmp_path, cwd=tmp_path)
    assert result.status == 2, result.stderr
    assert "inv.csv, row 2: a cell holds more than 32,767 characters" in result.text
    assert result.rss_mb < 150, result.rss_mb  # about 70 MB; read whole, some 300 MB
    assert "Traceback" not in result.stderr


@pytest.fixture
def chars_read(monkeypatch) -> list[int]:
    """Counts the characters the CSV reader takes from the file after sniffing it."""
    count = [0]
    original = readers._open_text

    class Counting:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            self.handle.__enter__()
            return self

        def __exit__(self, *exc):
            return self.handle.__exit__(*exc)

        def read(self, size=-1):
            return self.handle.read(size)

        def readline(self, size=-1):
            piece = self.handle.readline(size)
            count[0] += len(piece)
            return piece

    monkeypatch.setattr(readers, "_open_text", lambda *a: Counting(original(*a)))
    return count


LONG_LINES = {  # name: (head, filler, message)
    "unquoted": ("Service,Account\nAmazon S3,", "x", "a cell holds more than 32,767"),
    "quoted": ('Service,Account\nAmazon S3,"', "x", "a cell holds more than 32,767"),
    "doubled-quotes": ('Service,Account\nAmazon S3,"', '""', "a cell holds more than 32,767"),
    "quoted-commas": ('Service,Account\nAmazon S3,"', "x,", "row has more than 1,000 columns"),
    "tabs": ("Service\tAccount\nAmazon S3\t", "é", "a cell holds more than 32,767"),
    "second-record-line": ('Service,Account\nAmazon S3,"a\n', "x", "a cell holds more than"),
    "emoji": ("Service,Account\nAmazon S3,", "\U0001f600", "a cell holds more than 32,767"),
}


@pytest.mark.parametrize("name", list(LONG_LINES))
def test_long_lines_are_refused_after_their_first_pieces(name, tmp_path, capfd, chars_read):
    head, filler, message = LONG_LINES[name]
    path = _one_long_line(tmp_path / "inv.csv", head, filler, 8)
    status, output = invoke(tmp_path, path, capfd=capfd)
    assert status == 2, output
    assert f"inv.csv, row 2: {message}" in output, output
    # A cell's run is at most 2 x 32,767 + 4 characters: refused within two pieces of it.
    assert chars_read[0] <= 2 * csv_lines.cell_run_cap(Limits()) + 2 * csv_lines.PIECE


def test_a_line_of_many_long_cells_within_the_limits_is_read(tmp_path, capfd):
    """The guard refuses no cell csv would take: a doubled quote is two characters, a cell
    of 32,767 of them is 65,536 with its quotes, and 3 such cells share a line."""
    quotes = '"' + '""' * 32_767 + '"'
    path = tmp_path / "inv.csv"
    path.write_text(f"Service,A,B,C\r\nAmazon S3,{quotes},{quotes},{quotes}\r\n", encoding="utf-8")
    rows = list(readers.read_table(path, Limits()).sheets[0].rows)
    assert rows[1] == (2, ["Amazon S3"] + ['"' * 32_767] * 3)


# --------------------------------------------------------------- the limit flags themselves


@pytest.mark.parametrize(("flag", "ceiling"), [(f[0], f[3]) for f in cli.LIMIT_FLAGS])
def test_a_limit_flag_past_its_ceiling_is_a_usage_error(flag, ceiling, tmp_path, capfd):
    """Third adversarial pass: --max-cell-chars 10**20 reached csv.field_size_limit, which
    takes a C long (exit 1, OverflowError). Every limit flag has a ceiling; the ceiling
    itself is accepted."""
    inventory = tmp_path / "inv.csv"
    inventory.write_text("Service\nAmazon S3\n", encoding="utf-8")
    status, output = invoke(tmp_path, inventory, flag, str(10**20), capfd=capfd)
    assert status == 2 and f"Invalid value for '{flag}'" in output, output
    assert f"1<=x<={ceiling}" in output and "internal error" not in output, output
    status, output = invoke(tmp_path, inventory, flag, str(ceiling), capfd=capfd)
    assert status == 0, output


def test_an_inventory_cell_cannot_restyle_the_terminal(tmp_path, capfd):
    """A crafted cell's escape sequence, quoted in an error, is shown as its escape."""
    inventory = tmp_path / "inv.csv"
    inventory.write_text("Service\nAmazon S3\x1b[8mhidden\u202e\n", encoding="utf-8")
    status, output = invoke(tmp_path, inventory, capfd=capfd)
    assert status == 2, output
    assert "Amazon S3\\x1b[8mhidden\\u202e" in output and "\x1b" not in output, output


def test_a_utf32_csv_is_refused_by_name(tmp_path, capfd):
    """Third adversarial pass: UTF-32 (its BOM starts like UTF-16's) was read as UTF-16 and
    reported as headers full of NULs."""
    inventory = tmp_path / "inv.csv"
    inventory.write_bytes("Service\nAmazon S3\n".encode("utf-32"))
    status, output = invoke(tmp_path, inventory, capfd=capfd)
    assert status == 2, output
    assert "inv.csv: CSV file is UTF-32, which reportgen does not read" in output, output


def test_invalid_utf8_in_a_json_export_is_one_plain_line(tmp_path, capfd):
    """Third adversarial pass: the message was the parser's bytes repr over several lines."""
    export = tmp_path / "tags.json"
    export.write_bytes(
        b'{"ResourceTagMappingList":[{"ResourceARN":"arn:aws:s3:::b\xff\xfe","Tags":[]}]}'
    )
    status, output = invoke(tmp_path, export, capfd=capfd)
    assert status == 2, output
    assert "not valid JSON (lexical error: invalid bytes in UTF8 string.)" in output, output
    assert "b'" not in output and "\\n" not in output, output


def test_a_lone_surrogate_in_a_json_export_is_exit_2_with_its_path(tmp_path, capfd):
    """Fourth adversarial pass: a '\\udfff' escape in an ARN (yajl turns it into bytes that
    are not UTF-8) was exit 1, UnicodeDecodeError, from the file-type sniff and the read."""
    export = tmp_path / "tags.json"
    arn = "arn:aws:s3:::b\\udfff2"
    export.write_text(f'{{"ResourceTagMappingList":[{{"ResourceARN":"{arn}","Tags":[]}}]}}')
    status, output = invoke(tmp_path, export, capfd=capfd)
    assert status == 2, output
    assert "$.ResourceTagMappingList[0].ResourceARN: not valid JSON text" in output, output
    assert "lone UTF-16 surrogate" in output and "internal error" not in output, output


@pytest.mark.parametrize("key", ["K" * 1_000_000, "a key, " * 150_000])
def test_a_long_json_key_is_cut_short_in_the_message(tmp_path, capfd, key):
    """Fifth adversarial pass: a depth bomb under a 1,000,000-character key was refused
    rightly, but the message quoted the key whole (a 1 MB line)."""
    item = '{"ResourceARN":"arn:aws:s3:::b","Tags":[]}'
    export = tmp_path / "tags.json"
    export.write_text(f'{{"ResourceTagMappingList":[{item}],"{key}":' + "[" * 200 + "]" * 200 + "}")
    status, output = invoke(tmp_path, export, capfd=capfd)
    assert status == 2, output[:2000]
    assert "nested more than 128 levels deep" in output and len(output) < 2000, output[:2000]
    shown = shorten(key, jsonstream.KEY_CHARS)
    assert (f"$.{shown}:" if key.isalnum() else f"$[{shown!r}]:") in output, output


def test_an_integer_past_2_63_in_a_skipped_field_is_read_through_the_command_line(tmp_path, capfd):
    """Fifth adversarial pass, its own case: exit 2 '$.x: not valid JSON (parse error:
    integer overflow)' for valid JSON."""
    export = tmp_path / "tags.json"
    item = '{"ResourceARN":"arn:aws:s3:::b","Tags":[]}'
    export.write_text(f'{{"ResourceTagMappingList":[{item}],"x":9223372036854775808}}')
    status, output = invoke(tmp_path, export, capfd=capfd)
    assert status == 0 and "not valid JSON" not in output, output
    assert "rows: 1 (1 resolved, 0 unresolved)" in output, output


def test_a_quote_left_open_to_the_end_of_the_file_is_refused(tmp_path, capfd):
    """Ninth pass: csv ended the record at the end of the file, and the 51 rows below the
    open quote became one cell, dropped without a word."""
    path = tmp_path / "inv.csv"
    rows = "".join(f"Amazon S3,b{n},x\n" for n in range(51))
    path.write_text(f'Service,Resource ID,Notes\nAmazon S3,a,x\nAmazon S3,b,"open\n{rows}')
    status, output = invoke(tmp_path, path, capfd=capfd)
    assert status == 2, output
    assert "inv.csv, row 3: a quote opened on this row is never closed" in output, output


def test_a_quoted_cell_over_several_lines_is_still_one_cell(tmp_path, capfd):
    path = tmp_path / "inv.csv"
    path.write_text('Service,Resource ID,Notes\nAmazon S3,a,"two\nlines"\nAWS Lambda,f,x\n')
    status, output = invoke(tmp_path, path, capfd=capfd)
    assert status == 0 and "rows: 2 (2 resolved" in " ".join(output.split()), output
