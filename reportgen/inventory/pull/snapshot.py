"""Writing a pull: the CSV snapshot `build` reads, and its JSON sidecar (source, query,
account, time, counts). Both appear whole or not at all."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen import __version__
from reportgen.core.clock import build_time, iso
from reportgen.core.errors import InputError
from reportgen.core.markdown import shorten
from reportgen.core.outfiles import (
    check_output_file,
    make_parents,
    read_start,
    remove_made,
    replacing_modes,
    settle_moves,
    write_together,
)
from reportgen.core.redact import cut_masked, masked_errors
from reportgen.inventory.limits import Limits
from reportgen.inventory.pull import answers, credentials, sdkfiles, secrets
from reportgen.inventory.pull.answers import Bounds, bound_answers
from reportgen.inventory.pull.apis import APIS
from reportgen.inventory.pull.cellmask import CellMask
from reportgen.inventory.pull.endpoints import check_endpoint_urls
from reportgen.inventory.pull.fetch import MESSAGE_CHARS, Sleep, pages
from reportgen.inventory.pull.renewals import Refusals, refusals_noted
from reportgen.inventory.pull.secrets import Secrets
from reportgen.inventory.sources.contract import shape_error, table_full
from reportgen.inventory.sources.jsonstream import JsonShapeError, PathPart
from reportgen.inventory.sources.table import SourceTable, TableFull

SIDECAR_SUFFIX = ".source.json"
_LOGGER = "reportgen.pull"
_ACCOUNT = re.compile(r"[0-9]{12}")
STS_BYTES, STS_SECONDS = 1 << 20, 30.0  # GetCallerIdentity's answer is a few hundred bytes
_SIDECAR_BYTES = 64 * 1024  # a sidecar is a few hundred bytes
_SDK_MODULES = {"boto3", "botocore", "dateutil", "urllib3", "configparser", "s3transfer"}


@dataclass
class PullRequest:
    source: str  # a key of APIS
    out: Path
    profile: str | None = None
    region: str | None = None
    options: dict[str, Any] = field(default_factory=dict)  # query, aggregator, view_arn
    force: bool = False  # replace files at ``out`` that an earlier pull did not write
    # Rows, tag columns and value lengths as build reads them back (--max-rows ...): a
    # snapshot build would refuse is refused as it is pulled, and cannot grow past them
    # (tag keys without a bound made an 808 KB answer a 100 MB CSV: eleventh pass).
    limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True)
class PullResult:
    csv: Path
    sidecar: Path
    items: int
    pages: int
    tag_columns: int


def pull(request: PullRequest, client: Any = None, sleep: Sleep | None = None) -> PullResult:
    """Page through the source, then write the snapshot; ``client`` is for tests. Every
    error is masked of the credentials in use, and of every key they were fetched with (an
    endpoint that echoed the session token, or a role profile's source keys, had it printed:
    thirteenth and fourteenth adversarial passes)."""
    known = Secrets(secrets.from_environment())
    refusals = Refusals()
    with masked_errors(known, logger=_LOGGER), _sdk_errors():
        if client is None:
            sdkfiles.check_config_files()
        session = None if client is not None else _session(request, known, refusals)
        credentials.check_files(session, request.profile)
        known.add(*credentials.configured_secrets(session, request.profile))
        if session is None:
            return _pull(request, session, client, sleep, known, refusals)
        # each key, token and refresh as it is used; botocore's cache files read bounded
        gathering = secrets.gathering(known, credentials.source_of)
        with gathering, credentials.bounded_cache_files(known), refusals_noted(refusals):
            known.add(*credentials.resolved_secrets(session, request.profile))
            return _pull(request, session, client, sleep, known, refusals)


@contextmanager
def _sdk_errors() -> Iterator[None]:
    """botocore's refusal of a setting (an AWS_* variable it cannot parse, a region with a
    space, a config file that is not INI) or of an answer it cannot use: exit 2 naming what
    botocore said, not an internal error (fifteenth adversarial pass). An exception raised
    in reportgen's own code is left alone: that one is a bug."""
    try:
        yield
    except (InputError, MemoryError):
        raise
    except Exception as exc:
        if not _raised_in_sdk(exc):
            raise
        if _STILL_EXPIRED in str(exc):
            raise _expired_credentials() from exc
        said = cut_masked(str(exc), MESSAGE_CHARS)
        raise InputError(
            f"the AWS SDK (botocore) could not go on: {type(exc).__name__}: {said}",
            hint="It refuses a setting it cannot read (--region, --profile, an AWS_* "
            "variable, your AWS config file) and an answer it cannot use: check those.",
        ) from exc


# botocore's RuntimeError when a credential source (credential_process, SSO, a role) gives
# keys whose expiry has passed: "could not go on: RuntimeError" named no source (23d).
_STILL_EXPIRED = "refreshed credentials are still expired"


def _expired_credentials() -> InputError:
    return InputError(
        "the credential source gave credentials that have already expired (their expiry "
        "time is in the past), so AWS would refuse them",
        hint="Check what the source returns: a credential_process's Expiration, the SSO "
        "session (aws sso login), the login session (aws login), a role's session, the "
        "container credentials endpoint's Expiration; and this machine's clock.",
    )


def _raised_in_sdk(error: BaseException) -> bool:
    """Raised below a call from reportgen into the SDK: by botocore, or by the standard
    library it called (urllib.parse's ValueError for AWS_ENDPOINT_URL=http://[::1 was an
    internal error: twentieth pass)."""
    traceback, below_ours = error.__traceback__, []
    while traceback is not None:  # outermost first
        package = str(traceback.tb_frame.f_globals.get("__name__", "")).split(".")[0]
        below_ours = [] if package == "reportgen" else [*below_ours, package]
        traceback = traceback.tb_next
    return bool(below_ours) and below_ours[0] in _SDK_MODULES


def _pull(
    request: PullRequest,
    session: Any,
    client: Any,
    sleep: Sleep | None,
    known: Secrets,
    refusals: Refusals,
) -> PullResult:
    api = APIS[request.source]
    client = client or _client(session, api.client)
    bounds = Bounds(api.iam_action, answers.MAX_ANSWER_BYTES, answers.ANSWER_SECONDS)
    bound_answers(client, dataclasses.replace(bounds, list_key=api.reader.list_key))
    table = SourceTable(api.reader.columns, request.limits)
    params = api.params(request.options)
    where = Path(f"{request.source} response")  # errors name the API's answer, not a file
    count = page_count = 0
    for page in pages(client, api, params, **({"sleep": sleep} if sleep else {})):
        page_count += 1
        items = page.get(api.reader.list_key) or []
        if not isinstance(items, list):
            raise shape_error(where, JsonShapeError([api.reader.list_key], "expected a list"))
        for item in items:
            parts: list[PathPart] = [api.reader.list_key, count]
            try:
                table.add(*api.reader.row(item, parts, where))
            except JsonShapeError as exc:
                raise shape_error(where, exc) from exc
            except (AttributeError, TypeError) as exc:  # an item of another shape (a number)
                shape = JsonShapeError(parts, f"not an item AWS sends ({type(exc).__name__})")
                raise shape_error(where, shape) from exc
            except TableFull as exc:
                raise table_full(where, parts, exc) from exc
            count += 1
    if count == 0 and not request.force:
        _keep_earlier_snapshot(request.out)
    sidecar = {
        "source": request.source,
        "reader": api.reader.name,
        "operation": f"{api.client} {api.operation}",
        "parameters": params,
        "profile": request.profile,
        "region": request.region or getattr(client.meta, "region_name", None),
        "account": _account(session, refusals),
        "pulled_at": iso(build_time()),
        "counts": {"pages": page_count, "items": count, "tag_columns": len(table.tag_keys())},
        "reportgen": __version__,
    }
    masked = known.cell_mask()
    csv_path, sidecar_path = write_snapshot(request.out, table, sidecar, request.force, masked)
    if masked.masked_whole:
        logging.getLogger(_LOGGER).warning(
            "%s cell(s) of the snapshot were masked whole (***): looking through them for "
            "the credentials the pull was signed with before its latest renewals would "
            "have taken too long, as a server made those credentials alike (SECURITY.md)",
            f"{masked.masked_whole:,}",
        )
    return PullResult(csv_path, sidecar_path, count, page_count, len(table.tag_keys()))


def _keep_earlier_snapshot(out: Path) -> None:
    """A pull that found nothing does not replace an earlier pull's resources without
    --force: an answer a proxy cut short or emptied once wrote a header-only snapshot over a
    whole estate, exit 0, and the next build made a pack of nothing (thirteenth pass)."""
    earlier = _earlier_items(out)
    if earlier:
        raise InputError(
            f"the pull found no resources, where the earlier snapshot holds {earlier:,}; "
            "it is kept",
            file=out,
            hint="If the estate (or what the pull reads) really is empty now, pull again "
            "with --force to write an empty snapshot.",
        )


def _earlier_items(out: Path) -> int:
    """The resources the earlier pull at ``out`` counted in its sidecar (0: none there)."""
    try:
        found = json.loads(read_start(sidecar_of(out), _SIDECAR_BYTES)) if out.exists() else {}
    except (OSError, ValueError, RecursionError):  # '[' 5,000 deep: not a sidecar of ours
        return 0
    counts = found.get("counts") if isinstance(found, dict) else None
    items = counts.get("items") if isinstance(counts, dict) else None
    return items if isinstance(items, int) and not isinstance(items, bool) else 0


def sidecar_of(out: Path) -> Path:
    return out.with_name(out.name + SIDECAR_SUFFIX)


def is_sidecar(path: Path) -> bool:
    """Whether ``path`` holds a pull's sidecar: a JSON object naming its source and the
    reportgen version that wrote it (a sidecar is a few hundred bytes)."""
    head = read_start(path, _SIDECAR_BYTES)
    try:
        found = json.loads(head)
    except (ValueError, RecursionError):  # nested 5,000 deep was an internal error (pass 17)
        return False
    return isinstance(found, dict) and {"source", "reader", "reportgen"} <= found.keys()


def check_output(out: Path, force: bool = False) -> None:
    """Before the pull: a killed pull's moves settled (one that then failed on the network
    left the new CSV beside the earlier sidecar: pass 27a), then the paths checked."""
    settle_moves(out.parent)
    check_snapshot_paths(out, force)


def check_snapshot_paths(out: Path, force: bool = False) -> None:
    """InputError unless a pull may write ``out`` and its sidecar: nothing there, empty
    files, or an earlier pull's (the snapshot is one when its sidecar is); other files only
    with ``force``; never a link, a FIFO, a device, a socket or a directory
    (reportgen/core/outfiles.py)."""
    sidecar = sidecar_of(out)
    check_output_file(
        out, "a snapshot an earlier pull wrote", lambda _: is_sidecar(sidecar), force=force
    )
    _check_sidecar(sidecar, force)


def _check_sidecar(path: Path, force: bool) -> None:
    check_output_file(path, "the sidecar of an earlier pull", is_sidecar, force=force)


# The temporary CSV and sidecar beside ``-o`` while a pull writes them: no user's file.
TEMPORARY_PREFIX = ".reportgen-pull-"


def write_snapshot(
    out: Path,
    table: SourceTable,
    sidecar: dict[str, Any],
    force: bool = False,
    secrets: CellMask | None = None,
) -> tuple[Path, Path]:
    """The CSV and its sidecar, written to temporary files and moved into place together
    (reportgen/core/outfiles.py, write_together), the paths checked before
    (check_snapshot_paths) and again once both are written: a sidecar that could not be
    replaced (immutable, a full disk) left the new CSV beside the earlier pull's counts."""
    made = make_parents(out)
    settle_moves(out.parent)  # a pull killed between its two moves: the earlier pair back
    try:
        check_snapshot_paths(out, force)
        raw = table.to_raw(out, "snapshot", [], Limits(max_columns=1 << 30))
        sidecar_path = sidecar_of(out)
        write_together(
            [
                (out, lambda handle: _write_rows(handle, raw, secrets)),
                (sidecar_path, lambda handle: handle.write(json.dumps(sidecar, indent=2) + "\n")),
            ],
            lambda: check_snapshot_paths(out, force),
            text=True,
            mode=replacing_modes([out, sidecar_path]),  # a private snapshot stays so
            prefix=TEMPORARY_PREFIX,
            locked=True,  # a killed pull's temporary files are swept by the next one here
        )
    except BaseException:
        remove_made(made)  # a failed pull leaves no folder it made
        raise
    return out, sidecar_path


def _write_rows(handle: Any, raw: Any, secrets: CellMask | None = None) -> None:
    csv.writer(handle, lineterminator="\n").writerows(_cells(raw, secrets))


def _cells(raw: Any, secrets: CellMask | None = None) -> Iterator[list[str]]:
    """The snapshot's rows, any key or token the pull signed with masked: an endpoint that
    echoed the session token as a tag value had it written into the snapshot, and from
    there into a pack (sixteenth adversarial pass)."""
    rows = (cells for _, cells in raw.sheets[0].rows)
    if not secrets:
        return rows
    return (list(map(secrets, cells)) for cells in rows)


def _session(request: PullRequest, known: Secrets, refusals: Refusals) -> Any:
    try:
        import boto3
        from botocore.exceptions import ProfileNotFound
    except ImportError as exc:
        raise InputError(
            "the live pull needs boto3, which reportgen installs only with its aws extra",
            hint="pip install 'reportgen[aws]'   (build reads exports without it)",
        ) from exc
    try:
        session = boto3.Session(profile_name=request.profile, region_name=request.region)
    except ProfileNotFound as exc:  # --profile, or $AWS_PROFILE
        name = exc.kwargs.get("profile") or request.profile
        raise InputError(f"AWS profile '{shorten(str(name), 60)}' not found") from exc
    config: Any = {}
    with contextlib.suppress(Exception):  # an unreadable config: botocore's call reports it
        config = session._session.full_config
    check_endpoint_urls(os.environ, config)
    credentials.bound_credential_calls(session, known, refusals)
    return session


def _client(session: Any, name: str) -> Any:
    from botocore.exceptions import NoRegionError

    try:
        return session.client(name)
    except NoRegionError as exc:
        raise InputError(
            "no AWS region given or configured",
            hint="Pass --region (the aggregator's or the index's region), or set "
            "AWS_DEFAULT_REGION or a region in your AWS profile (botocore does not read "
            "AWS_REGION).",
        ) from exc


def _refused_renewal(refusals: Refusals) -> InputError:
    """The renewal refused before sts:GetCallerIdentity, said as one before a page is."""
    try:
        refusals.stop_if_any()
    except InputError as exc:
        return exc
    except Exception as exc:
        when = "renewing the credentials before sts:GetCallerIdentity"
        said = credentials.fetch_error(exc, when)
        return said or InputError(f"{when}: {cut_masked(str(exc), MESSAGE_CHARS)}")
    raise AssertionError("unreachable")  # pragma: no cover - called with a refusal noted


def _account(session: Any, refusals: Refusals) -> str | None:
    """The caller's account, for the sidecar; None when STS cannot say (never fatal). A
    courtesy, so held to far less than a page: one retry, STS_SECONDS, STS_BYTES (its answer was
    the one a pull read without bounds: eleventh adversarial pass)."""
    if session is None:
        return None
    from botocore.config import Config

    # Two attempts in all, whatever the retry mode: `max_attempts` counts the retries alone
    # in botocore's legacy mode, and a failing STS was asked three times (63c).
    courtesy = Config(connect_timeout=10, read_timeout=10, retries={"total_max_attempts": 2})
    try:
        client = session.client("sts", config=courtesy)
        bound_answers(client, Bounds("sts:GetCallerIdentity", STS_BYTES, STS_SECONDS, json=False))
        account = client.get_caller_identity().get("Account")
    except Exception:  # the pull itself succeeded; the account is a courtesy
        if refusals.first is not None:  # not a renewal reportgen refused: it stops the pull
            raise _refused_renewal(refusals) from None  # (it was dropped: 81c)
        return None
    return account if isinstance(account, str) and _ACCOUNT.fullmatch(account) else None
