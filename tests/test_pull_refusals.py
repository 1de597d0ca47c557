"""A credential call's refusal is rewritten to its code and a plain message before botocore
quotes it (refusals.py, pass 53c): what may hold a credential in any form is withheld,
what AWS writes in a refusal is kept."""

from __future__ import annotations

import json

import pytest
from botocore.awsrequest import HeadersDict

from reportgen.inventory.pull.refusals import WITHHELD, is_prose, plain_refusal


def _mask(text: str) -> str:
    return text.replace("KnownSecret0123456789abcdef", "***")


@pytest.mark.parametrize(
    "text",
    [
        "User: arn:aws:iam::444455556666:user/alice is not authorized to perform: "
        "sts:AssumeRole on resource: arn:aws:iam::444455556666:role/OrganizationAccountAccessRole",
        "The security token included in the request is invalid.",
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method.",
        "Session token not found or invalid",
        "token *** is invalid",
        "",
    ],
)
def test_what_aws_writes_in_a_refusal_is_prose(text: str) -> None:
    assert is_prose(text)


@pytest.mark.parametrize(
    "text",
    [
        'denied {"SecretAccessKey": "x"}',
        "denied <SecretAccessKey>x</SecretAccessKey>",
        "denied &lt;SecretAccessKey&gt;",
        "denied SecretAccessKey: short",
        "denied secret=short",
        "denied token abc123def",
        "denied wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "denied \\u0053ecret",
        "x" * 1001,
    ],
)
def test_what_may_hold_a_credential_is_not_prose(text: str) -> None:
    assert not is_prose(text)


def _rewritten(body: str, **headers: str) -> tuple[str, HeadersDict]:
    said = HeadersDict(headers)
    return plain_refusal(body.encode(), said, [body], _mask).decode(), said


def test_an_xml_refusal_keeps_its_code_and_a_prose_message() -> None:
    body, _ = _rewritten(
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender'
        "</Type><Code>AccessDenied</Code><Message>Not authorized, token "
        "KnownSecret0123456789abcdef is invalid</Message></Error><RequestId>r-1</RequestId>"
        "<Extra>what else it held</Extra></ErrorResponse>"
    )
    assert body == (
        "<ErrorResponse><Error><Code>AccessDenied</Code><Message>Not authorized, token *** "
        "is invalid</Message></Error></ErrorResponse>"
    )


def test_an_xml_message_holding_elements_is_withheld() -> None:
    body, _ = _rewritten(
        "<ErrorResponse><Error><Code>AccessDenied</Code><Message><Credentials><SecretAccessKey>"
        "s</SecretAccessKey></Credentials></Message></Error></ErrorResponse>"
    )
    assert f"<Message>{WITHHELD}</Message>" in body and "SecretAccessKey" not in body


def test_a_json_refusal_keeps_the_keys_botocore_reads_and_a_code_that_is_a_name() -> None:
    body, headers = _rewritten(
        json.dumps({"__type": "ForbiddenException", "message": "denied", "Secret": "s"}),
        **{"x-amzn-ErrorType": "ForbiddenException:http://x", "x-amzn-ErrorMessage": "s"},
    )
    assert json.loads(body) == {"__type": "ForbiddenException", "message": "denied"}
    assert dict(headers) == {"x-amzn-ErrorType": "ForbiddenException"}
    body, _ = _rewritten(json.dumps({"code": "not a name <b>", "Message": '{"a": "b"}'}))
    assert json.loads(body) == {"code": "", "Message": WITHHELD}


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        ("Internal Server Error", "Internal Server Error"),
        ("key=KnownSecret0123456789abcdef", WITHHELD),
        ("<not xml", WITHHELD),
        ('{"cut short', WITHHELD),
    ],
)
def test_any_other_refusal_is_kept_only_when_it_is_prose(body: str, kept: str) -> None:
    assert _rewritten(body)[0] == kept
