"""The endpoint URLs botocore is told to send to, checked before it is given any.

A port that is not a number, or past 65535, is only refused by the HTTP library as the
connection is made, with a ValueError that was said as an answer AWS sent ("its parser
failed"), with a hint to check a proxy, though nothing had been sent (56c C10).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from reportgen.core.errors import InputError
from reportgen.core.markdown import shorten

# Variables naming a URL botocore connects to (AWS_ENDPOINT_URL_S3 and the like too).
URL_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
)
# A path botocore puts after the container endpoint's address: ':pw@host:1/x' sends the
# request to host, with a password (57c).
_RELATIVE = ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "http://169.254.170.2")
# Keys of the AWS config file holding one (in a profile, a service's section under it, or
# a [services] section).
_CONFIG_KEYS = ("endpoint_url", "ec2_metadata_service_endpoint")
_SHOWN = 120


def check_endpoint_urls(environ: Mapping[str, str], config: Any) -> None:
    """Refuse, naming where it was given, an endpoint URL that cannot be connected to."""
    for where, url in endpoint_urls(environ, config):
        try:
            urlsplit(url).port  # noqa: B018 - reading it is the check
        except ValueError:  # its words may quote a password the parser took for a port
            raise InputError(
                f"{where}: the URL '{_shown(url)}' cannot be connected to: its host and port "
                "cannot be read (a port is a number up to 65535)",
                hint="Correct the URL: a scheme, a host, and a port from 1 to 65535 if any "
                "(https://host:8443).",
            ) from None


def endpoint_urls(environ: Mapping[str, str], config: Any) -> Iterator[tuple[str, str]]:
    """Each endpoint URL given, and where: the variables, then every ``endpoint_url`` of
    the AWS config file (``config``, botocore's full config: a profile's, a service's
    under it, a ``[services]`` section's)."""
    # as botocore is given them: a blank after the port made it fail as it connected (59c)
    for name, value in environ.items():
        if name.startswith(URL_VARIABLES) and value.strip():
            yield name, value
    if environ.get(_RELATIVE[0], "").strip():
        yield _RELATIVE[0], _RELATIVE[1] + environ[_RELATIVE[0]]
    sections: list[tuple[str, Any]] = [("", config)]
    while sections:
        path, section = sections.pop()
        for key, value in section.items() if isinstance(section, dict) else ():
            if isinstance(value, str) and str(key).endswith(_CONFIG_KEYS) and value.strip():
                yield f"{key} of the AWS config file ({path or 'top level'})", value.strip()
            elif isinstance(value, dict):
                sections.append((f"{path} > {key}" if path else str(key), value))


def _shown(url: str) -> str:
    """``url`` cut to a line, what lies between '//' and its last '@' (a user and password,
    which may hold '#', '/' or '?') shown as ``***``."""
    scheme, _, rest = url.partition("://")
    if "@" in rest:
        url = f"{scheme}://***@{rest.rpartition('@')[2]}"
    return shorten(url, _SHOWN)
