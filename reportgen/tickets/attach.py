"""``reportgen attach``: put a verified pack on a Jira issue or a ServiceNow record.

What goes up is what an auditor can check as downloaded: the pack as one zip (``bundle``'s
bytes), which unzips into the pack's folder for ``reportgen verify``. Ticket systems keep
attachments in one flat list, so the pack's own files, attached one by one, could not be
put back under their paths; ``--files`` adds them for reading in the ticket, beside the zip.

Idempotent: the ticket's attachments are listed first and files already there (same name,
hence same content hash, and same size) are skipped, one of the same name and another size
(an upload cut short) is sent again; a retry of an upload first lists again. Uploads to
one ticket are sequential. ``--dry-run`` shows every request and sends none.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from reportgen.config.model import AttachConfig, load_config
from reportgen.config.ticket_systems import TICKET_SYSTEMS, TicketSystem
from reportgen.core.errors import InputError
from reportgen.core.redact import masked_errors
from reportgen.core.tempdirs import run_temp_dir
from reportgen.core.yamlio import DEFAULT_MAX_YAML_BYTES
from reportgen.pack.bundle import require_intact
from reportgen.pack.files import MAX_SUMMARY_BYTES, PackDir
from reportgen.pack.manifest import SUMMARY_NAME
from reportgen.tickets.client import Http, Transport
from reportgen.tickets.preflight import check_uploads
from reportgen.tickets.settings import Endpoint, transport
from reportgen.tickets.upload import Upload, bundle_folder, bundle_upload, pack_uploads

Say = Callable[[str], None]
COMMENT_LIMIT = 8000  # characters of Markdown


class Ticket(Protocol):
    label: str
    http: Http | None

    def attachments(self, names: Collection[str]) -> dict[str, set[int | None]]: ...
    def upload(self, item: Upload) -> bool: ...
    def has_comment(self, marker: str) -> bool: ...
    def comment(self, markdown: str, marker: str) -> bool: ...
    def describe_listing(self) -> str: ...
    def describe_upload(self, item: Upload) -> str: ...
    def describe_comment(self, markdown: str) -> str: ...


@dataclass(frozen=True)
class AttachRequest:
    pack: Path
    system: str  # a ticket system's registry name: jira, servicenow
    target: str  # its issue key, record id...
    comment: bool = False
    dry_run: bool = False
    files: bool = False  # each file of the pack too, besides the zip
    ca_bundle: Path | None = None
    config: Path | None = None
    max_yaml_bytes: int = DEFAULT_MAX_YAML_BYTES  # of the config


@dataclass
class AttachReport:
    ticket: str
    attached: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already on the ticket
    commented: bool = False


def load_attach_config(
    path: Path | None, max_yaml_bytes: int = DEFAULT_MAX_YAML_BYTES
) -> tuple[AttachConfig, Path | None]:
    if path is None:
        return AttachConfig(), None
    return load_config(path, max_yaml_bytes).config.attach, path.parent


def fit_comment(summary: str, limit: int = COMMENT_LIMIT) -> str:
    """A summary short enough for a ticket comment (Jira refuses bodies past 32,767
    characters, and ADF is several times the Markdown): a long list of owner changes gives
    way to a pointer to the attached summary.md."""
    if len(summary) <= limit:
        return summary
    sections = summary.split("\n## ")
    kept = [
        section if not section.startswith("Changes since") else
        section.split("\n", 1)[0] + "\n\nToo long for a comment: see the attached summary.md "
        "or run `reportgen diff`.\n"
        for section in sections
    ]  # fmt: skip
    fitted = "\n## ".join(kept)
    return fitted if len(fitted) <= limit else _cut(fitted, limit)


def _cut(summary: str, limit: int) -> str:
    """The summary's first whole lines within ``limit``, and a pointer to the rest: a
    summary.md of 16 MB, which the trimming above left whole, made a 283 MB comment and
    took 3.4 GB to convert (81d)."""
    head = summary[:limit]
    head = head[: head.rfind("\n") + 1] if "\n" in head else head
    return f"{head}\nThe rest is too long for a comment: see the attached summary.md.\n"


def comment_text(pack: PackDir, manifest_sha256: str, zipped: Upload, folder: str) -> str:
    """summary.md, then how to check the pack: the zip's name and hash, and the command."""
    try:
        raw = pack.read(SUMMARY_NAME, MAX_SUMMARY_BYTES, "the summary")
    except InputError as exc:
        if exc.message != "missing":
            raise
        raise InputError(  # it said only "summary.md: missing" (twentieth pass)
            "--comment posts the pack's summary.md, and this pack has none: it was built "
            "without the summary format",
            file=exc.file,
            hint="Rebuild the pack with the summary format (one of the defaults), or leave "
            "out --comment.",
        ) from None
    summary = fit_comment(raw.decode("utf-8", errors="replace"))
    footer = (
        f"To check the pack: download `{zipped.name}` (SHA-256 `{zipped.sha256}`), unzip it "
        f"and run `reportgen verify {folder}`. Pack manifest SHA-256: `{manifest_sha256}`."
    )
    return summary.rstrip() + "\n\n" + footer + "\n"


def attach_pack(
    request: AttachRequest, say: Say, env: Mapping[str, str] = os.environ
) -> AttachReport:
    """Attach the pack (and optionally its summary) to one ticket; see the module doc."""
    config, config_dir = load_attach_config(request.config, request.max_yaml_bytes)
    system = TICKET_SYSTEMS.get(request.system)
    section = getattr(config, system.name)
    endpoint = _endpoint(system, section, request.target, env)
    _refuse_configured_wrongly(endpoint, request.config)
    redact = endpoint.redactor()
    # Every message from here on may hold a server's text: each is masked on its way out.
    with masked_errors(redact), PackDir(request.pack) as pack:
        settings = transport(config, config_dir, request.ca_bundle, env)
        return _attach(pack, request, system, section, settings, env, lambda s: say(redact(s)))


def _refuse_configured_wrongly(endpoint: Endpoint, config: Path | None) -> None:
    """A setting of the config refused, named with the config's file: 'attach.servicenow.url:
    the port is not one of 1 to 65535' named no file (pass 32a)."""
    if config is not None and any(p.startswith("attach.") for p in endpoint.problems):
        raise InputError(
            f"{endpoint.system} is not configured", file=config, details=endpoint.problems
        )


def _endpoint(
    system: TicketSystem, section: object, target: str, env: Mapping[str, str]
) -> Endpoint:
    """The URL and credentials before anything is sent, so that every message from then on
    masks the credentials: the system's client is asked with dry_run, which sends nothing
    (a client builds its endpoint from the config and the environment only)."""
    endpoint, _ = system.open(section, target, env, Transport(), True)
    return endpoint


def _attach(
    pack: PackDir,
    request: AttachRequest,
    system: TicketSystem,
    section: object,
    settings: Transport,
    env: Mapping[str, str],
    say: Say,
) -> AttachReport:
    verified = require_intact(pack)
    endpoint, ticket = system.open(section, request.target, env, settings, request.dry_run)
    marker = verified.manifest_sha256
    with run_temp_dir("reportgen-attach-") as work:
        zipped = bundle_upload(pack.path, verified, Path(work))
        uploads = [*(pack_uploads(pack, verified, Path(work)) if request.files else []), zipped]
        check_uploads(uploads, pack.path)  # all of them, before the first request
        folder = bundle_folder(verified)
        text = comment_text(pack, marker, zipped, folder) if request.comment else None
        if request.dry_run:
            for line in dry_run_lines(ticket, endpoint, uploads, text):
                say(line)
            return AttachReport(ticket.label)
        try:
            return send(ticket, uploads, text, marker, say)
        finally:
            for item in uploads:
                item.close()
            ticket.http.close()


def send(
    ticket: Ticket, uploads: list[Upload], text: str | None, marker: str, say: Say
) -> AttachReport:
    report = AttachReport(ticket.label)
    found = _by_name(ticket.attachments([item.name for item in uploads]))
    for item in uploads:  # one at a time: parallel uploads to one ticket race on its list
        if item.name in found and not item.whole_in(found):
            say(cut_short(item, found[item.name]))
        if item.whole_in(found) or not ticket.upload(item):
            report.skipped.append(item.name)
            say(f"already attached: {item.name}")
        else:
            report.attached.append(item.name)
            say(f"attached: {item.name} ({item.size:,} bytes)")
    if text is not None:
        if ticket.has_comment(marker) or not ticket.comment(text, marker):
            say("summary comment: already on the ticket")
        else:
            report.commented = True
            say("summary comment: posted")
    return report


def _by_name(listed: Mapping[str, set[int | None]] | Collection[str]) -> dict[str, set[int | None]]:
    """A ticket's listing as sizes by name; a plugin's client written before sizes were
    asked for answers a set of names, taken as present with no size said."""
    if isinstance(listed, Mapping):
        return {name: set(sizes) for name, sizes in listed.items()}
    return {name: {None} for name in listed}


def cut_short(item: Upload, sizes: set[int | None]) -> str:
    readable = sorted(s for s in sizes if s is not None and s >= 0)
    if not readable:  # answers.UNREADABLE_SIZE: nothing says it was cut short (31a)
        return (
            f"on the ticket with a size that cannot be read: {item.name} (this one is "
            f"{item.size:,} bytes); sending it again"
        )
    shown = [f"{size:,} bytes" for size in readable]
    if any(s is not None and s < 0 for s in sizes):  # and another one unreadable (30a)
        shown.append("a size that cannot be read")
    return (
        f"cut short on the ticket: {item.name} ({', '.join(shown)}, not {item.size:,} bytes); "
        "sending it again"
    )


def dry_run_lines(
    ticket: Ticket, endpoint: Endpoint, uploads: list[Upload], text: str | None
) -> Iterator[str]:
    yield "dry run: nothing is sent"
    yield f"target: {endpoint.system}, {ticket.label}"
    if endpoint.credential is not None:
        yield f"credentials: {endpoint.credential.scheme} auth, {endpoint.credential.source}"
    for problem in endpoint.problems:
        yield f"not configured: {problem}"
    yield f"1. {ticket.describe_listing()}  (files already attached are skipped)"
    for number, item in enumerate(uploads, start=2):
        yield f"{number}. {ticket.describe_upload(item)}"
    if text is not None:
        yield f"{len(uploads) + 2}. {ticket.describe_comment(text)}, {len(text):,} characters"
