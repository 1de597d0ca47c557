"""Text reportgen prints that comes from an input, a pack or a server cannot restyle or
rewrite the terminal (third adversarial pass: a pack file named
``x ESC[2K ESC[G OK: 4 file(s) match the manifest ESC[8m`` made ``verify`` look like a pass)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from packhelpers import build, run
from rich.console import Console

from reportgen.core.terminal import visible

ESC = "\x1b"
FAKE_PASS = f"x{ESC}[2K{ESC}[GOK: 4 file(s) match the manifest{ESC}[8m"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text, tab\tand\nnewline", "plain text, tab\tand\nnewline"),
        (f"{ESC}[8mhidden", "\\x1b[8mhidden"),
        ("over\rwrite", "over\\x0dwrite"),
        ("\x9b2K and \x7f", "\\x9b2K and \\x7f"),
        ("abc\u202edef\u2066", "abc\\u202edef\\u2066"),
        ("a\u061cb\u2028c\u2029", "a\\u061cb\\u2028c\\u2029"),  # tenth pass
        ("é ü 日本 ｓ３", "é ü 日本 ｓ３"),  # printable text of any script is left alone
        ("raw\udc9b31m and \ud800", "raw\\x9b31m and \\ud800"),  # bytes not UTF-8
    ],
)
def test_visible_escapes_what_could_move_restyle_or_reorder(text, shown):
    assert visible(text) == shown
    assert visible(visible(text)) == shown  # once is enough: escapes are plain text


def test_a_crafted_file_name_cannot_fake_verify(project: Path, tmp_path: Path):
    pack = build(project, tmp_path / "pack", pdf=False)
    (pack / FAKE_PASS).write_text("x", encoding="utf-8")
    process = run("verify", pack, check=1, pdf=False)
    output = process.stdout + process.stderr
    assert ESC not in output, output
    assert (
        "EXTRA" in output and "x\\x1b[2K\\x1b[GOK: 4 file(s) match the manifest\\x1b[8m" in output
    )
    assert "FAILED: 1 problem(s)" in output


def test_a_file_name_of_bytes_not_utf8_cannot_restyle_verify(project: Path, tmp_path: Path):
    """Eighth pass: a name holding the raw byte 0x9b (a C1 CSI) was printed as that byte."""
    pack = build(project, tmp_path / "pack", pdf=False)
    (pack / os.fsdecode(b"raw\x9b31mRAW")).write_text("x", encoding="utf-8")
    process = run("verify", pack, check=1, pdf=False)  # a raw 0x9b would not decode
    output = process.stdout + process.stderr
    assert "raw\\x9b31mRAW" in output, output


@pytest.mark.parametrize("control", ["\x07", "\x08", "\x0b", "\x0c", "\r"])
def test_a_control_rich_would_drop_is_shown_as_its_escape(control, capsys, monkeypatch):
    """Fourth adversarial pass: rich removes BEL, BS, VT, FF and CR from a text before it
    prints it, so 'A<BEL>Z' was shown as 'AZ'; every message passes visible() first."""
    from reportgen import cli

    # An earlier in-process run with --quiet (same test worker) leaves notes silenced.
    monkeypatch.setitem(cli._state, "quiet", False)

    cli._warn(f"cell A{control}Z")
    cli._say(f"note A{control}Z")
    err = capsys.readouterr().err
    shown = visible(control)
    assert f"cell A{shown}Z" in err and f"note A{shown}Z" in err, repr(err)
    assert control not in err


@pytest.mark.parametrize("control", ["\x07", "\x08", "\x0b", "\x0c", "\r"])
def test_tables_and_texts_show_a_control_rich_would_drop(control):
    """Sixth and seventh passes: a file name in verify's lines and a name in diff's text
    output lost BEL, BS, VT, FF and CR to rich before they could be escaped."""
    from rich.table import Table

    from reportgen.core.terminal import safe_text, visible_console

    console = visible_console(record=True, highlight=False, markup=False, width=200)
    table = Table()
    table.add_column("cell")
    table.add_row(f"row A{control}Z")
    console.print(f"line A{control}Z")
    console.print(table)
    console.print(safe_text(f"text A{control}Z"))
    shown = console.export_text()
    for what in ("line", "row", "text"):
        assert f"{what} A{visible(control)}Z" in shown, repr(shown)
    assert control not in shown


def test_a_name_from_a_pack_prints_on_one_line():
    """Ninth pass: diff printed a service name's line breaks, so a pack could print lines
    of its own (a fake heading, a fake 'services removed:' line)."""
    from reportgen.core.terminal import one_line
    from reportgen.render.diff_report import diff_renderables

    name = "S3\n## Fake heading\n  services removed: everything\t"
    assert one_line(name) == "S3\\n## Fake heading\\n  services removed: everything\\t"
    entry = {"name": name, "status": "compared", "services_added": [{"name": name, "id": "s3"}],
             "services_removed": [], "owner_changes": [], "evidence_changes": [],
             "controls_added": [f"1.1{name}"], "controls_removed": []}  # fmt: skip
    diff = {"old": {"generated_at": "a"}, "new": {"generated_at": "b"}, "frameworks": [entry]}
    console = Console(width=400, record=True, color_system=None)
    for item in diff_renderables(diff):
        console.print(item)
    lines = console.export_text().splitlines()
    assert not any(line.startswith("## Fake") for line in lines), lines


def test_markdown_text_keeps_no_control_character():
    """Ninth pass: summary.md kept a name's ESC, BEL and U+202E (cat restyled the terminal,
    attach --comment posted them)."""
    from reportgen.core.markdown import escape

    shown = escape("S3\x1b[2J\x07 \u202eevil")
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or c == "\u202e" for c in shown)
    assert "x1b" in shown and "u202e" in shown


def test_markdown_text_keeps_no_character_reference():
    """Pass 60: a name holding "&lt;b&gt;" showed as "<b>" wherever summary.md is rendered;
    the Jira comment reads the escape back as the ampersand it was."""
    from reportgen.core.markdown import escape
    from reportgen.tickets.markup import to_wiki

    shown = escape("R&D &lt;b&gt; &#42;")
    assert shown == r"R\&D \&lt;b\&gt; \&\#42;", shown
    assert to_wiki(shown) == "R&D &lt;b&gt; &\\#42;\n"


def test_a_reader_that_stops_reading_is_141_not_an_error():
    """Eleventh pass: `diff A B | head -c 10` exited 1 (rich's choice), which for diff means a
    pack that does not match its manifest."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from reportgen.core.terminal import visible_console\n"
        "console = visible_console(file=sys.stdout)\n"
        "for n in range(200000):\n"
        "    console.print('line', n)\n"
    )
    reader = subprocess.Popen(
        ["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    writer = subprocess.run(
        [sys.executable, "-c", code], stdout=reader.stdin, stderr=subprocess.PIPE, timeout=120
    )
    reader.stdin.close()
    reader.wait()
    assert writer.returncode == 141, writer.stderr
    assert writer.stderr == b""


def test_an_inputs_crafted_name_cannot_restyle_or_split_summary_md(project: Path, tmp_path: Path):
    """Twelfth pass: an inventory named 'a|b<ESC>[2J<U+202E>c.csv' went into summary.md as
    it was: printed, it cleared the terminal; its '|' split the inputs table's row, moving
    the size and SHA-256 a column on."""
    name = "a|b\x1b[2J\u202ec.csv"
    (project / "inventory.csv").rename(project / name)
    out = tmp_path / "pack"
    run("build", "--config", project / "reportgen.yaml", "--inventory", project / name,
        "--out", out, "--format", "matrix", "--format", "summary", pdf=False)  # fmt: skip
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "\x1b" not in summary and "\u202e" not in summary
    (row,) = [line for line in summary.splitlines() if line.startswith("| inventory")]
    assert "a\\|b\\x1b[2J\\u202ec.csv" in row
    assert len(row.replace("\\|", "").split("|")) == 6  # four cells: nothing split


@pytest.mark.parametrize(
    "argv",
    [("services", "--format", "json"), ("controls", "pci", "--format", "csv"),
     ("schema", "matrix"), ("frameworks", "--format", "json"), ("--help",), ("--version",),
     ("build", "--help"), ("inventory", "pull", "--help")],
)  # fmt: skip
def test_json_and_csv_output_to_a_reader_that_stopped_is_141(argv):
    """Fifteenth pass: output written through click.echo exited 1 when the reader had gone
    (click's choice), a bug's status, and diff's for a pack not as listed. Nineteenth: so
    did --help and --version, which click printed itself."""
    import subprocess

    from packhelpers import REPORTGEN_WITHOUT_PDF

    reader = subprocess.Popen(["true"], stdin=subprocess.PIPE)
    reader.wait()  # gone before a byte is written
    writer = subprocess.run([*REPORTGEN_WITHOUT_PDF, *argv], stdout=reader.stdin,
                            stderr=subprocess.PIPE, timeout=120)  # fmt: skip
    reader.stdin.close()
    assert writer.returncode == 141, writer.stderr
    assert writer.stderr == b""


@pytest.mark.parametrize("argv", [["--bogus"], ["verify"], ["bundle", ".", "-o", "."]])
def test_a_usage_error_to_a_reader_that_stopped_is_141(argv, tmp_path):
    """Sixteenth pass, W3: a usage error written to a stderr whose reader had gone exited 1
    (click's choice), the status of a bug."""
    import subprocess

    from packhelpers import REPORTGEN_WITHOUT_PDF

    reader = subprocess.Popen(["true"], stdin=subprocess.PIPE)
    reader.wait()  # gone before a byte is written
    writer = subprocess.run([*REPORTGEN_WITHOUT_PDF, *argv], stderr=reader.stdin,
                            stdout=subprocess.DEVNULL, cwd=tmp_path, timeout=120)  # fmt: skip
    reader.stdin.close()
    assert writer.returncode == 141


def test_a_usage_error_to_a_full_device_is_still_a_usage_error():
    import subprocess

    from packhelpers import REPORTGEN_WITHOUT_PDF

    with open("/dev/full", "w") as full:
        writer = subprocess.run([*REPORTGEN_WITHOUT_PDF, "--bogus"], stderr=full, timeout=120)
    assert writer.returncode == 2


@pytest.mark.parametrize("argv", [("services", "--format", "json"), ("services",), ("--help",)])
def test_output_to_a_closed_stdout_is_an_error(argv):
    """Twenty-first pass: the table (rich's console) met a closed stdout as an internal
    error, AttributeError: 'NoneType' object has no attribute 'write'."""
    import subprocess

    from packhelpers import REPORTGEN_WITHOUT_PDF

    argv = [*REPORTGEN_WITHOUT_PDF, *argv]
    result = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            close_fds=True, pass_fds=(), timeout=120,
                            preexec_fn=lambda: __import__("os").close(1))  # fmt: skip
    assert result.returncode == 2 and b"the standard output is closed" in result.stderr


@pytest.mark.parametrize(
    ("argv", "status"),
    [
        (("validate", "--config", "nonexistent.yaml"), 2),
        (("services",), 0),
        (("--debug", "verify", "/nonexistent"), 2),  # the traceback met None: exit 1 (40d)
    ],
)
def test_a_closed_stderr_keeps_the_exit_status(argv, status):
    """Thirty-ninth pass (39d D2): with standard error closed (2>&-), every command was
    "internal error", exit 1: the line-tracking wrap of sys.stderr met None."""
    import subprocess

    from packhelpers import REPORTGEN_WITHOUT_PDF

    result = subprocess.run([*REPORTGEN_WITHOUT_PDF, *argv], stdout=subprocess.DEVNULL,
                            close_fds=True, pass_fds=(), timeout=120,
                            preexec_fn=lambda: __import__("os").close(2))  # fmt: skip
    assert result.returncode == status


@pytest.mark.parametrize(
    "argv", [("services", "--format", "json"), ("--help",), ("--version",), ("diff", "-h")]
)
def test_output_to_a_full_device_names_the_standard_output(argv):
    """Fifteenth pass: `services --format json > /dev/full` said "disk full" naming nothing.
    Nineteenth: `--help > /dev/full` was an "internal error", exit 1."""
    import subprocess

    from packhelpers import REPORTGEN_WITHOUT_PDF

    with open("/dev/full", "w") as full:
        result = subprocess.run([*REPORTGEN_WITHOUT_PDF, *argv],
                                stdout=full, stderr=subprocess.PIPE, timeout=120)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(b"error: the standard output: no space left"), result.stderr


@pytest.mark.parametrize(
    "argv", [("services", "--format", "json"), ("controls", "pci", "--format", "json")]
)
def test_output_larger_than_a_pipe_to_a_reader_that_stopped_is_141(argv):
    """Nineteenth pass: Python's stdout took the short write a pipe's 64 KB buffer makes for
    the whole, dropped the rest, and the command exited 0 under `| head -c 10`."""
    import subprocess

    from packhelpers import REPORTGEN_WITHOUT_PDF

    reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL)  # fmt: skip
    writer = subprocess.run([*REPORTGEN_WITHOUT_PDF, *argv], stdout=reader.stdin,
                            stderr=subprocess.PIPE, timeout=120)  # fmt: skip
    reader.stdin.close()
    reader.wait()
    assert writer.returncode == 141, writer.stderr
    assert writer.stderr == b""


@pytest.mark.parametrize(
    "argv",
    [("services",), ("services", "--format", "json"), ("controls", "pci", "--format", "csv"),
     ("schema", "matrix")],
)  # fmt: skip
def test_output_cut_short_by_the_file_size_limit_is_exit_2(tmp_path, argv):
    """Nineteenth pass: on a disk with 8 KB left (here: `ulimit -f 8`), `services` wrote
    8 KB of its 40 KB, said nothing and exited 0; the kernel's short write was taken for
    the whole."""
    import resource
    import subprocess

    from packhelpers import REPORTGEN_WITHOUT_PDF

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    with open(tmp_path / "listing", "wb") as listing:
        result = subprocess.run([*REPORTGEN_WITHOUT_PDF, *argv], stdout=listing,
                                stderr=subprocess.PIPE, preexec_fn=limit, timeout=120)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(b"error: the standard output: the file is too large")


def test_stdout_and_stderr_both_on_a_full_device_is_still_exit_2():
    """Twenty-first pass: the error message met a full stderr too, and the status was 1."""
    import subprocess

    from packhelpers import REPORTGEN_WITHOUT_PDF

    with open("/dev/full", "w") as full:
        result = subprocess.run([*REPORTGEN_WITHOUT_PDF, "services"], stdout=full, stderr=full,
                                timeout=120)  # fmt: skip
    assert result.returncode == 2


def test_output_to_a_full_non_blocking_pipe_waits_for_the_reader():
    """Twenty-first pass: a non-blocking stdout pipe stopped at 64 KB, "Resource temporarily
    unavailable", where the reader was only slow."""
    import fcntl
    import subprocess
    import time

    from packhelpers import REPORTGEN_WITHOUT_PDF

    read, write = os.pipe()
    fcntl.fcntl(write, fcntl.F_SETFL, fcntl.fcntl(write, fcntl.F_GETFL) | os.O_NONBLOCK)
    writer = subprocess.Popen([*REPORTGEN_WITHOUT_PDF, "services", "--format", "json"],
                              stdout=write, stderr=subprocess.PIPE)  # fmt: skip
    os.close(write)
    time.sleep(1)  # the pipe fills while nobody reads
    with os.fdopen(read, "rb") as reader:
        data = reader.read()
    assert writer.wait(timeout=120) == 0, writer.stderr.read()
    assert data.rstrip().endswith(b"]") and len(data) > 65536


@pytest.mark.parametrize("argv", [("controls", "pci-dss"), ("services", "--format", "json")])
def test_output_in_an_encoding_without_every_character_is_escaped(argv, tmp_path):
    """Twenty-second pass: under PYTHONIOENCODING=ascii the '…' rich adds to a cut cell was
    an internal error (UnicodeEncodeError), exit 1."""
    import subprocess

    from packhelpers import REPORTGEN_WITHOUT_PDF

    env = {**os.environ, "PYTHONIOENCODING": "ascii", "COLUMNS": "80"}
    with open(tmp_path / "out.txt", "wb") as out:
        result = subprocess.run([*REPORTGEN_WITHOUT_PDF, *argv], stdout=out,
                                stderr=subprocess.PIPE, env=env, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    (tmp_path / "out.txt").read_bytes().decode("ascii")  # every byte ASCII
