"""A renderer the machine kills is the machine's problem, not "a bug in reportgen".

The kernel's out-of-memory killer (SIGKILL), an administrator or a job scheduler (SIGTERM),
GLib aborting when it cannot start a thread under a memory limit (SIGTRAP: what WeasyPrint's
Pango did under ``prlimit --as=300000000``) and Python's MemoryError each ended a build in
"internal error: WorkerDied ... This is a bug in reportgen" (adversarial 3a #24). Each is
exit 2 naming the framework, how its renderer ended and the likely cause, with the old pack
as it was and nothing left beside it or in TMPDIR. Through the command line: a renderer of
tests/reportgen_dying_renderer.py dies as told, and a real PDF renderer is killed from
outside, as the adversary did.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import MINIMAL_CONFIG, write_config, write_csv
from measured import measured
from packhelpers import EPOCH, REPORTGEN, build, tree_hashes
from test_orphans import _children

from reportgen.pack.verify import verify_pack

DYING = [sys.executable, str(Path(__file__).with_name("reportgen_dying_renderer.py"))]
ROWS = [["Service", "Resource ID"], ["Amazon EC2", "i-1"], ["Amazon S3", "b-1"]]
TWO = ("--framework", "soc2", "--framework", "iso-27001")

pytestmark = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="renderers fork on 2+ cores")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    write_csv(folder / "inventory.csv", ROWS)
    write_config(folder, MINIMAL_CONFIG)
    return folder


NAMES = {"soc2": "SOC 2 (soc2)", "iso-27001": "ISO/IEC 27001 (iso-27001)"}


def assert_reported(stderr: str, frameworks: list[str], how: str, *cause: str) -> None:
    """One message: ``rendering <one of frameworks> stopped``, how, the likely cause."""
    text = " ".join(stderr.split())
    assert text.startswith("error: "), stderr
    said = [
        f"rendering {NAMES[f]} stopped: its renderer process was ended by {how}: "
        for f in frameworks
    ]
    assert any(words in text for words in said), stderr
    for words in cause:
        assert words in text, stderr
    assert "internal error" not in text and "Traceback" not in text, stderr
    assert "This is a bug" not in text, stderr


def assert_nothing_left(pack: Path, before: dict[str, str], temp: Path) -> None:
    assert tree_hashes(pack) == before and verify_pack(pack).ok
    assert not [p.name for p in pack.parent.iterdir() if p.name.startswith(".reportgen-")]
    assert not list(temp.iterdir()), "left in TMPDIR"


CASES = [
    ("SIGKILL", 2, ["the kernel's out-of-memory killer", "dmesg"]),
    ("SIGTERM", 2, ["another process asked it to stop"]),
    ("SIGTRAP", 2, ["a C library it uses (GLib, Pango, Cairo) gave up", "memory limit"]),
    ("SIGABRT", 2, ["for want of memory"]),
]


@pytest.mark.parametrize(("how", "status", "cause"), CASES, ids=[c[0] for c in CASES])
def test_a_renderer_ended_by_a_signal_is_exit_2_naming_framework_and_cause(
    how, status, cause, project, tmp_path
):
    pack = build(project, tmp_path / "pack", "--format", "matrix", pdf=False)
    before = tree_hashes(pack)
    temp = tmp_path / "tmp"
    temp.mkdir()
    argv = [*DYING, "build", "--config", str(project / "reportgen.yaml"), "--out", str(pack)]
    argv += [*TWO, "--format", "matrix", "--format", "dying"]
    env = {
        "SOURCE_DATE_EPOCH": EPOCH,
        "REPORTGEN_TEST_DIE": f"iso-27001:{how}",
        "TMPDIR": str(temp),
    }
    result = measured(argv, tmp_path, env=env, timeout=120)
    assert result.status == status, result.stderr
    assert_reported(result.stderr, ["iso-27001"], how, *cause)
    assert f"the pack at {pack} is unchanged" in result.text
    assert_nothing_left(pack, before, temp)


@pytest.mark.parametrize(
    ("writers", "limited", "forked"),
    [(("pdf",), True, True), (None, True, True), (("matrix",), True, False),
     (("pdf",), False, False)],
)  # fmt: skip
def test_one_frameworks_pdf_under_a_limit_is_laid_out_in_a_renderer(
    monkeypatch, writers, limited, forked
):
    """Pass 39d: under a 200 MiB limit GLib aborted the build itself (SIGTRAP, exit 133, no
    message) as it laid out the one framework's PDF in the build's own process. Under a
    memory limit a PDF is laid out in a renderer, whose death the build says (as the
    signal tests above show of a renderer)."""
    from types import SimpleNamespace

    from reportgen import render

    job = SimpleNamespace(framework_id="soc2", options=SimpleNamespace(writers=writers))
    calls = []
    monkeypatch.setattr(render.reserve, "address_space_limited", lambda: limited)
    monkeypatch.setattr(render, "run_forked", lambda count, *_: calls.append(count) or [[]])
    monkeypatch.setattr(render, "render_framework", lambda job: [])
    assert render.render_all([job]) == {"soc2": []}
    assert calls == ([1] if forked else [])


@pytest.mark.parametrize("how", ["MemoryError", "exhausted"])
@pytest.mark.parametrize("frameworks", [TWO, ("--framework", "soc2")], ids=["forked", "in-process"])
def test_a_renderer_out_of_memory_is_exit_2(how, frameworks, project, tmp_path):
    """Python's MemoryError, in a forked renderer or in the build itself (one framework).
    ``exhausted`` leaves no memory at all (adversarial 4a #15): in-process, printing the
    message then raised MemoryError too (a traceback, exit 1); a forked renderer could not
    send its error back ("ended with exit status 0 and no result"). The reserve the command
    line holds (core/reserve.py) is what is left for the clean-up and the message."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    out = tmp_path / "out"
    argv = [*DYING, "build", "--config", str(project / "reportgen.yaml"), "--out", str(out)]
    argv += [*frameworks, "--format", "matrix", "--format", "dying"]
    env = {
        "SOURCE_DATE_EPOCH": EPOCH,
        "REPORTGEN_TEST_DIE": f"soc2:{how}",
        "TMPDIR": str(temp),
    }
    result = measured(argv, tmp_path, env=env, timeout=120)
    assert result.status == 2, result.stderr
    assert result.stderr.startswith("error: "), result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert "rendering SOC 2 (soc2) stopped: ran out of memory" in result.text
    assert "Free some memory or raise the memory limit" in result.text
    assert "nothing was written" in result.text
    assert not out.exists() and not list(temp.iterdir())


def test_a_pdf_renderer_killed_from_outside(project, tmp_path):
    """As the adversary did: SIGKILL one of a real build's PDF renderers while it works."""
    pack = build(project, tmp_path / "pack", "--format", "matrix", pdf=False)
    before = tree_hashes(pack)
    temp = tmp_path / "tmp"
    temp.mkdir()
    argv = [*REPORTGEN, "build", "--config", str(project / "reportgen.yaml"), "--out", str(pack)]
    process = subprocess.Popen(
        [*argv, *TWO, "--format", "pdf"],
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "TMPDIR": str(temp)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    renderers: set[int] = set()
    while not renderers and time.monotonic() < deadline and process.poll() is None:
        renderers = _children(process.pid)
        time.sleep(0.05)
    assert renderers, "no renderer seen"
    time.sleep(0.5)  # into the work
    os.kill(min(renderers), signal.SIGKILL)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2, stderr
    assert_reported(stderr, list(NAMES), "SIGKILL", "the kernel's out-of-memory killer")
    assert_nothing_left(pack, before, temp)


@pytest.mark.parametrize("data_mb", [96, 104])
def test_a_pdf_with_no_room_under_a_data_limit_is_said_without_noise(tmp_path, data_mb):
    """Pass 28d: under prlimit --data of 96 to 104 MiB a PDF renderer printed dozens of
    "Exception ignored in: ..." lines, or "Fatal Python error: Cannot recover from stack
    overflow" and a stack; the room a PDF takes is now tried first."""
    import resource

    launcher = Path(sys.executable).with_name("reportgen")
    if not launcher.exists():
        pytest.skip("the installed reportgen command is not beside this Python")
    cap = data_mb * 2**20

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))

    root = Path(__file__).resolve().parents[1]
    argv = [str(launcher), "build", "--config", str(root / "inputs" / "reportgen.yaml"),
            "--out", str(tmp_path / "pack")]  # fmt: skip
    result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            preexec_fn=limit, check=False)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "stopped: ran out of memory" in result.stderr
    for noise in ("Exception ignored", "Fatal Python error", "Traceback"):
        assert noise not in result.stderr
    assert not (tmp_path / "pack").exists() and list(tmp_path.iterdir()) == []


def test_a_renderer_answer_unreadable_for_want_of_memory_is_said_so(monkeypatch):
    """Pass 28d: unpickling a renderer's answer under a memory cap raised SystemError
    ("error return without exception set"), an internal error, exit 1."""
    from reportgen.render import workers

    class Broken:
        def recv(self):
            raise SystemError("error return without exception set")

        def close(self):
            pass

    class Done:
        exitcode = 0

        def join(self, timeout=None):
            pass

    monkeypatch.setattr(workers, "address_space_limited", lambda: True)
    with pytest.raises(MemoryError):
        workers._collect(Done(), Broken(), 0)
    monkeypatch.setattr(workers, "address_space_limited", lambda: False)
    with pytest.raises(SystemError):
        workers._collect(Done(), Broken(), 0)


def _aborting(index: int) -> None:
    """A renderer that says what a Python abort says, and aborts."""
    os.write(2, b"a warning a library printed\n")  # to the descriptor, as C and Python do
    os.write(2, b"Fatal Python error: _Py_CheckRecursiveCall: Cannot recover\n")
    os.write(2, b'  File "reportgen/render/pdf.py", line 1 in write_pdf\n')
    os.abort()


def test_a_renderers_python_abort_is_told_and_its_dump_not_printed(capfd):
    """Pass 29d: under a data limit a renderer printed "Fatal Python error: Cannot recover
    from stack overflow" and 40 frames, and the build named a C library as the cause. Its
    standard error is relayed without Python's dump, and the death is known as Python's."""
    from reportgen.render.workers import WorkerDied, run_forked

    with pytest.raises(WorkerDied) as died:
        run_forked(2, _aborting, 2)
    assert died.value.python_gave_up
    said = capfd.readouterr().err
    assert "a warning a library printed" in said
    assert "Fatal Python error" not in said and "write_pdf" not in said


def test_a_c_function_failing_silently_under_a_memory_limit_is_out_of_memory(monkeypatch):
    """Pass 30d: under --data or --as of 320 MiB a build ended, once in a few runs, with
    "internal error: SystemError: error return without exception set", exit 1."""
    from reportgen.core import reserve

    failed = SystemError("error return without exception set")
    monkeypatch.setattr(reserve, "address_space_limited", lambda: True)
    assert reserve.out_of_memory(failed)
    monkeypatch.setattr(reserve, "address_space_limited", lambda: False)
    assert not reserve.out_of_memory(failed)  # without a limit it is a bug to report


@pytest.mark.parametrize("raised", [MemoryError(), SystemError("error return without exception")])
def test_the_build_out_of_memory_says_what_became_of_the_pack(
    raised, project, tmp_path, monkeypatch, capsys
):
    """Pass 31d: under --as 320 MiB a build said "error: ran out of memory" and no more:
    not what it was doing, nor that the pack was left as it was."""
    from reportgen import pipeline
    from reportgen.cli import main
    from reportgen.core import reserve

    pack = build(project, tmp_path / "pack", "--format", "matrix", pdf=False)
    before = tree_hashes(pack)

    def out_of_memory(*args, **kwargs):
        raise raised

    monkeypatch.setattr(pipeline, "render_all", out_of_memory)
    monkeypatch.setattr(reserve, "address_space_limited", lambda: True)
    capsys.readouterr()
    with pytest.raises(SystemExit) as ended:
        main(["build", "--config", str(project / "reportgen.yaml"), "--out", str(pack)])
    said = " ".join(capsys.readouterr().err.split())
    assert ended.value.code == 2, said
    assert f"error: ran out of memory while building {pack}; the pack there is unchanged" in said
    assert tree_hashes(pack) == before


def test_the_error_begins_its_own_line_after_noise_no_hook_silences(
    project, tmp_path, monkeypatch, capsys
):
    """Pass 38d: out of memory, objects collected printed "Exception ignored in: ..." in
    pieces without a line break (what no unraisable hook silences: its argument is what
    could not be built), and the error's own text followed on the same line."""
    import sys

    from reportgen import pipeline
    from reportgen.cli import main

    def out_of_memory(*args, **kwargs):
        sys.stderr.write("Exception ignored in: ")
        raise MemoryError

    monkeypatch.setattr(pipeline, "render_all", out_of_memory)
    capsys.readouterr()
    with pytest.raises(SystemExit) as ended:
        main(["build", "--config", str(project / "reportgen.yaml"), "--out", str(tmp_path / "o")])
    said = capsys.readouterr().err
    assert ended.value.code == 2, said
    assert said.startswith("Exception ignored in: \nerror: ran out of memory"), said
