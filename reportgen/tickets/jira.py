"""Jira: Cloud (REST API v3, email + API token, ADF comments) and Data Center (REST API v2,
personal access token, wiki-text comments). Attachments go to
``POST /rest/api/{3|2}/issue/{key}/attachments`` as multipart field ``file`` with the
``X-Atlassian-Token: no-check`` header Jira requires against CSRF."""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping
from typing import Any

from reportgen.config.ticket_systems import JiraAttachConfig, check_key
from reportgen.tickets import answers
from reportgen.tickets.answers import (
    JiraCommentPage,
    JiraUploaded,
    confirm_upload,
    pages,
    parse,
    read_upload,
)
from reportgen.tickets.client import Http, Remote, Transport
from reportgen.tickets.markup import to_adf, to_wiki
from reportgen.tickets.settings import CredentialVars, Endpoint, base_url, connect, credential
from reportgen.tickets.upload import Upload, sizes_by_name

XSRF = {"X-Atlassian-Token": "no-check"}
PAGE = 100


def api_version(endpoint: Endpoint) -> int:
    return 2 if endpoint.system == "Jira Data Center" else 3


class JiraIssue(Remote):
    def __init__(self, http: Http | None, key: str, version: int, base_url: str | None) -> None:
        self.http, self.key, self.version = http, check_key(key), version
        self.path = f"/rest/api/{version}/issue/{key}"
        self.base_url = base_url or "<base URL>"
        self.label = f"Jira issue {key}"

    def attachments(self, names: Collection[str]) -> dict[str, set[int | None]]:
        """Which of ``names`` the issue already has attached, with their sizes."""
        what = "list attachments"
        data = self.api.json("GET", self.path, what, params={"fields": "attachment"})
        found = parse(answers.JiraIssue, data, self.api.name, what).fields.attachment or []
        return sizes_by_name(((item.filename, item.size) for item in found), names)

    def upload(self, item: Upload) -> bool:
        """True when sent and Jira's answer lists it; False when a retry found it already
        attached; TicketError when the answer is not Jira's list of what it attached."""
        response = self.api.call(
            "POST",
            f"{self.path}/attachments",
            f"upload {item.name}",
            before_retry=lambda: item.whole_in(self.attachments([item.name])),
            upload_bytes=item.size,
            headers=XSRF,
            files={"file": (item.name, item.data, item.media_type)},
        )
        if response is None:
            return False
        made = read_upload(self.api, response, JiraUploaded, item).root
        confirm_upload(item, ((a.filename, a.size) for a in made), self.api.name)
        return True

    def has_comment(self, marker: str) -> bool:
        """Whether a comment holds ``marker``, paging through at most MAX_PAGES pages."""
        start, what = 0, "list comments"
        for _ in pages(self.api.name, what):
            params = {"startAt": start, "maxResults": PAGE}
            data = self.api.json("GET", f"{self.path}/comment", what, params=params)
            page = parse(JiraCommentPage, data, self.api.name, what)
            if any(marker in json.dumps(c.body, ensure_ascii=False) for c in page.comments):
                return True
            # A page emptied by comment restrictions is not the end while the total says
            # more follow: stopping there posted the summary again on each run (sixteenth
            # pass). Past it by a page's worth; MAX_PAGES bounds a total that lies.
            start += len(page.comments) or PAGE
            if start >= page.total:
                return False
        return False  # pages() raises first

    def comment(self, markdown: str, marker: str) -> bool:
        response = self.api.call(
            "POST",
            f"{self.path}/comment",
            "post the summary comment",
            before_retry=lambda: self.has_comment(marker),
            json={"body": self.comment_body(markdown)},
        )
        return response is not None

    def comment_body(self, markdown: str) -> Any:
        return to_adf(markdown) if self.version == 3 else to_wiki(markdown)

    def describe_upload(self, item: Upload) -> str:
        return (
            f"POST {self.base_url}{self.path}/attachments  multipart field 'file' = {item.name} "
            f"({item.size:,} bytes, {item.media_type}), header X-Atlassian-Token: no-check"
        )

    def describe_listing(self) -> str:
        return f"GET {self.base_url}{self.path}?fields=attachment"

    def describe_comment(self, markdown: str) -> str:
        kind = "Atlassian Document Format" if self.version == 3 else "wiki text"
        return f"POST {self.base_url}{self.path}/comment  summary.md as {kind}"


def jira_endpoint(config: JiraAttachConfig, environ: Mapping[str, str] = os.environ) -> Endpoint:
    """Jira Cloud with email + API token (Basic), Jira Data Center with a PAT (Bearer)."""
    url, problems = base_url(config.url, config.url_env, environ, "attach.jira.url")
    names = CredentialVars(
        "Jira",
        (config.email_env, "email"),
        (config.token_env, "API token (Jira Cloud)"),
        (config.pat_env, "personal access token (Jira Data Center)"),
    )
    found, more = credential(names, environ)
    return Endpoint(jira_system(config, environ), url, found, problems + more)


def jira_system(config: JiraAttachConfig, environ: Mapping[str, str]) -> str:
    """Which Jira the variables set point at, even when their values are refused: a Data
    Center token refused for a newline was reported as "Jira Cloud is not configured"
    (fourteenth adversarial pass)."""
    pat, cloud = (
        bool(environ.get(name, "").strip()) for name in (config.pat_env, config.token_env)
    )
    if pat != cloud:
        return "Jira Data Center" if pat else "Jira Cloud"
    return "Jira"  # both set, or neither: the problems say which


def open_ticket(
    config: JiraAttachConfig, key: str, environ: Mapping[str, str], transport: Transport,
    dry_run: bool,
) -> tuple[Endpoint, JiraIssue]:  # fmt: skip
    """The registry's client (config/ticket_systems.py): the endpoint and the issue."""
    endpoint = jira_endpoint(config, environ)
    return endpoint, open_issue(endpoint, key, transport, dry_run)


def open_issue(endpoint: Endpoint, key: str, transport: Transport, dry_run: bool) -> JiraIssue:
    check_key(key)
    version = api_version(endpoint)
    if dry_run:
        return JiraIssue(None, key, version, endpoint.url)
    http, url = connect(endpoint, transport)
    return JiraIssue(http, key, version, url)
