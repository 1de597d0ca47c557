"""Attaching packs to compliance tickets: Jira (Cloud REST v3, Data Center REST v2) and
ServiceNow (Attachment API). ``attach`` orchestrates; ``jira`` and ``servicenow`` speak each
API; ``client`` holds the HTTP client, its errors and the secret masking; ``retry`` the
backoff; ``settings`` reads URLs and credentials from the environment; ``markup`` turns a
pack's summary.md into a Jira comment."""
