"""The files botocore reads for a pull, named by a variable or a profile, checked first.

botocore opens them as they come: a CA bundle that is a FIFO held the pull in ``open()`` for
ever, and a web identity token file that is ``/dev/zero`` was read until the machine ran
out of memory, deaf to SIGTERM (fifteenth adversarial pass). Each one named is refused
unless it is a regular file (a link to one is fine) of a size such a file has; one that is
not there is left to botocore, whose error names it.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from typing import Any

from reportgen.core.errors import InputError
from reportgen.core.markdown import shorten
from reportgen.core.mounts import kernel_file_system, kernel_file_words
from reportgen.core.safefiles import file_kind

MB = 1 << 20
TOKEN_BYTES = 64 * 1024  # a web identity or container token is a few KB
CA_BUNDLE_BYTES = 16 * MB  # the Mozilla bundle is about 220 KB
# What each variable names, and how large it may be.
# The variables naming a file that holds a token (a secret: secrets.py reads them).
TOKEN_FILE_VARIABLES = ("AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
_VARIABLES = {"AWS_CA_BUNDLE": CA_BUNDLE_BYTES, **dict.fromkeys(TOKEN_FILE_VARIABLES, TOKEN_BYTES)}
_PROFILE_KEYS = {"ca_bundle": CA_BUNDLE_BYTES, "web_identity_token_file": TOKEN_BYTES}
# botocore parses these whole, as it creates the session: a 300 MB config took 2.8 GB, and a
# 1 GB sparse SSO token cache 2.2 GB (sixteenth adversarial pass). A real one is a few KB,
# and 10,000 profiles about 1.5 MB; one of 16 MB still took 727 MB and 50 s, one of 4 MB
# takes 260 MB and 6 s (nineteenth pass).
CONFIG_BYTES = 4 * MB
SSO_CACHE_BYTES = 1 * MB
_CONFIG_FILES = {
    "AWS_CONFIG_FILE": "~/.aws/config",
    "AWS_SHARED_CREDENTIALS_FILE": "~/.aws/credentials",
}
_SSO_CACHE = "~/.aws/sso/cache"


def check_config_files(environ: Any = os.environ) -> None:
    """The AWS config and shared credentials files, before botocore parses them: a regular
    file larger than any real one is refused (one that is not a regular file botocore
    skips itself)."""
    for variable, default in _CONFIG_FILES.items():
        named = _named_paths(environ.get(variable, ""))
        where = f"${variable}" if named else f"{default} (${variable}'s default)"
        for path in named or [default]:
            # one the variable names must be a file botocore reads: a FIFO (or <(...)) it
            # skips, and only "no region" was said (twenty-first pass)
            _check(where, path, CONFIG_BYTES, regular_only=bool(named), skipped=True)


def check_sdk_files(profiles: dict[str, Any], chain: list[str], environ: Any = os.environ) -> None:
    """Refuse, naming where it was named, a file botocore would read that is not a regular
    file or is larger than its kind ever is. ``chain``: the profiles whose settings apply."""
    for where, path, limit in _named(profiles, chain, environ):
        _check(where, path, limit)
    for where, path in _sso_caches(profiles, chain):
        _check(where, path, SSO_CACHE_BYTES)


def _named(
    profiles: dict[str, Any], chain: list[str], environ: Any
) -> Iterator[tuple[str, str, int]]:
    for name, limit in _VARIABLES.items():
        for path in _named_paths(environ.get(name, "")):
            yield f"${name}", path, limit
    for profile in chain:
        section = profiles.get(profile)
        if not isinstance(section, dict):
            continue
        for key, limit in _PROFILE_KEYS.items():
            value = section.get(key)
            if isinstance(value, str) and value.strip():
                yield f"{key} of profile '{shorten(profile, 60)}'", value.strip(), limit


def _named_paths(value: str) -> list[str]:
    """The paths a variable may name: botocore opens its value as it is, '/tok ' with its
    space, where a check of the stripped '/tok' passed a FIFO beside it that hung the pull
    (twentieth adversarial pass); what reportgen reads itself is stripped."""
    return list(dict.fromkeys(path for path in (value, value.strip()) if path.strip()))


def _sso_caches(profiles: dict[str, Any], chain: list[str]) -> Iterator[tuple[str, str]]:
    """The SSO token cache files botocore reads for the chain: named by the SHA-1 of the
    profile's sso_session, else of its sso_start_url (botocore's cache key)."""
    for profile in chain:
        section = profiles.get(profile)
        if not isinstance(section, dict):
            continue
        key = section.get("sso_session") or section.get("sso_start_url")
        if isinstance(key, str) and key:
            name = hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()
            where = f"the SSO token cache of profile '{shorten(profile, 60)}'"
            yield where, f"{_SSO_CACHE}/{name}.json"


def _check(
    where: str, path: str, limit: int, *, regular_only: bool = True, skipped: bool = False
) -> None:
    try:
        info = os.stat(os.path.expanduser(path))
    except (OSError, RuntimeError, ValueError):  # not there, '~nosuchuser', a NUL: botocore's
        return
    shown = shorten(path, 200)
    if not stat.S_ISREG(info.st_mode) and (not regular_only or _is_null(info)):
        return  # AWS_CONFIG_FILE=/dev/null: the usual way to say "no config file"
    if not stat.S_ISREG(info.st_mode):
        does = "skips it" if skipped else "would wait on it or read it without end"
        raise InputError(
            f"{where} names {file_kind(info.st_mode)}, not a regular file; botocore {does}",
            file=shown,
            hint=f"Point {where} at the file itself.",
        )
    if info.st_size > limit:
        raise InputError(
            f"{where} names a file of {info.st_size:,} bytes, more than the {limit:,} such a "
            "file may be",
            file=shown,
        )
    # A file of /proc or /sys says 0 bytes (or 4096) whatever it holds, and may never end
    # (/proc/self/pagemap: botocore read 5.8 GB of it, twenty-first pass) or block a
    # reader for ever (/proc/kmsg held a pull: twenty-fourth pass). No AWS file lives there.
    kernel = kernel_file_system(info.st_dev, os.path.expanduser(path))
    if kernel is not None:
        raise InputError(
            f"{where} names {kernel_file_words(kernel)}, not a file on disk",
            file=shown,
            hint=f"Point {where} at the file itself.",
        )


def _is_null(info: os.stat_result) -> bool:
    try:
        return stat.S_ISCHR(info.st_mode) and info.st_rdev == os.stat(os.devnull).st_rdev
    except OSError:
        return False
