"""A credential call's refusal is rewritten to its code before botocore quotes it
(refusals.py, pass 53c): its message may hold a credential in any form and is withheld
(56c C1: a word list of what may hold one was beaten by a passphrase and a PIN); a code is
kept only when it is written as AWS writes one."""

from __future__ import annotations

import json

import pytest
from botocore.awsrequest import HeadersDict

from reportgen.inventory.pull.refusals import NO_MESSAGE, WITHHELD, plain_refusal


def _mask(text: str) -> str:
    return text.replace("KnownSecret0123456789abcdef", "***")


def _parsed(made: str, shape: str) -> dict:
    """The refusal's Error as botocore's parser of that shape reads it (STS's, SSO's)."""
    from botocore.parsers import QueryParser, RestJSONParser

    parser = QueryParser() if shape == "xml" else RestJSONParser()
    return parser.parse({"body": made.encode(), "headers": {}, "status_code": 403}, None)["Error"]


def _rewritten(body: str, shape: str = "xml", **headers: str) -> tuple[str, HeadersDict]:
    said = HeadersDict(headers)
    return plain_refusal(body.encode(), 403, said, [body], _mask, shape).decode(), said


def test_an_xml_refusal_keeps_its_code_and_withholds_its_message() -> None:
    body, _ = _rewritten(
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender'
        "</Type><Code>AccessDenied</Code><Message>Not authorized, token "
        "KnownSecret0123456789abcdef is invalid</Message></Error><RequestId>r-1</RequestId>"
        "<Extra>what else it held</Extra></ErrorResponse>"
    )
    assert body == (
        f"<ErrorResponse><Error><Code>AccessDenied</Code><Message>{WITHHELD}</Message></Error>"
        "</ErrorResponse>"
    )


@pytest.mark.parametrize(
    ("detail", "kept"),
    [("<Detail>the key was AKIA</Detail>", WITHHELD), ("<Type>Sender</Type>", NO_MESSAGE)],
)
def test_an_sts_refusal_s_text_beside_its_code_is_a_message(detail: str, kept: str) -> None:
    """Pass 65c: STS's <Detail> beside <Code>, without <Message>, was "(no message)"."""
    body, _ = _rewritten(
        f"<ErrorResponse><Error>{detail}<Code>AccessDenied</Code></Error>"
        "<RequestId>1</RequestId></ErrorResponse>"
    )
    error = _parsed(body, "xml")
    assert (error["Code"], error["Message"]) == ("AccessDenied", kept), body


@pytest.mark.parametrize(
    ("body", "shape", "headers", "kept"),
    [
        ("", "json", {"x-amzn-ErrorType": "ForbiddenException",
                      "x-amzn-ErrorMessage": "Session token not found or invalid"}, WITHHELD),
        ("", "json", {"x-amzn-ErrorType": "ForbiddenException"}, NO_MESSAGE),
        ('<ErrorResponse><Error message="User is not authorized"><Code>AccessDenied</Code>'
         "</Error></ErrorResponse>", "xml", {}, WITHHELD),
        ('<ErrorResponse><Error type="Sender"><Code>AccessDenied</Code></Error>'
         "</ErrorResponse>", "xml", {}, NO_MESSAGE),
    ],
    ids=["header", "no-header-message", "attribute", "type-attribute"],
)  # fmt: skip
def test_a_message_in_a_header_or_an_attribute_is_one(body, shape, headers, kept) -> None:
    """Pass 71c F2: SSO's refusal whose message came in x-amzn-ErrorMessage only, and
    STS's <Error message="...">, were said as "(no message)", which was false."""
    made, _ = _rewritten(body, shape, **headers)
    if shape == "xml":
        assert _parsed(made, "xml")["Message"] == kept, made
    else:
        assert json.loads(made)["message"] == kept, made


def test_an_xml_message_holding_elements_is_withheld() -> None:
    body, _ = _rewritten(
        "<ErrorResponse><Error><Code>AccessDenied</Code><Message><Credentials><SecretAccessKey>"
        "s</SecretAccessKey></Credentials></Message></Error></ErrorResponse>"
    )
    assert f"<Message>{WITHHELD}</Message>" in body and "SecretAccessKey" not in body


@pytest.mark.parametrize(
    "message",
    [
        "The security token included in the request is invalid.",
        "the break-glass passphrase is correct horse battery staple",  # 56c C1
        "your PIN 4821-9931 was refused",
    ],
)
def test_no_message_of_a_credential_call_is_said(message: str) -> None:
    for shape in ("xml", "json"):
        body = f"<Error><Code>AccessDenied</Code><Message>{message}</Message></Error>"
        if shape == "json":
            body = json.dumps({"__type": "AccessDenied", "message": message})
        error = _parsed(_rewritten(body, shape)[0], shape)
        assert error == {"Code": "AccessDenied", "Message": WITHHELD}, error


def test_a_json_refusal_keeps_the_code_botocore_reads() -> None:
    body, headers = _rewritten(
        json.dumps({"__type": "ForbiddenException", "message": "denied", "Secret": "s"}),
        "json",
        **{"x-amzn-ErrorType": "ForbiddenException:http://x", "x-amzn-ErrorMessage": "s"},
    )
    said = {"__type": "ForbiddenException", "code": "ForbiddenException", "message": WITHHELD}
    assert json.loads(body) == said and not dict(headers)
    body, _ = _rewritten(json.dumps({"code": "not a name <b>", "Message": '{"a": "b"}'}), "json")
    assert json.loads(body) == {"__type": "403", "code": "403", "message": WITHHELD}


@pytest.mark.parametrize(
    ("code", "kept"),
    [
        ("InvalidClientTokenId", True),
        ("ForbiddenException", True),
        ("InvalidInstanceID.Malformed", True),
        ("MalformedPolicyDocumentException", True),
        ("AKIAIOSFODNN7EXAMPLE", False),  # 54c P1: a key as the code
        ("wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY", False),
        ("IDPRejectedClaim", True),
        ("Client.UnauthorizedOperation", True),
        ("wJalrXUtnFEMI.K7MDENG.bPxRfiCYEXAMPLEKEY", False),  # 56c C1: a key cut by dots
        ("AKIAIOSFODNNEXAMPLE", False),
        ("Throttling:http://internal", False),
        ("KnownSecretAccessDenied", True),
        # 58c: a key or a password as the namespace before '#'
        ("f86d081884c7d659.a2feaa0c55ad015a#AccessDenied", False),
        ("hunter2pass.x9#AccessDenied", False),
    ],
)
def test_a_code_is_kept_only_when_it_is_a_name(code: str, kept: bool) -> None:
    body, _ = _rewritten(f"<Error><Code>{code}</Code><Message>m</Message></Error>")
    assert (f"<Code>{code}</Code>" in body) is kept, body


@pytest.mark.parametrize("given", ["com.amazonaws.sso#ForbiddenException", "x9#Forbidden"])
def test_a_code_s_namespace_is_dropped(given: str) -> None:
    """58c: the namespace before '#' carried a key or a password; botocore drops it."""
    body, _ = _rewritten("{}", "json", **{"x-amzn-ErrorType": f"{given}:http://x"})
    code = given.rpartition("#")[2]
    assert json.loads(body)["code"] == code and given.split("#")[0] not in body, body


@pytest.mark.parametrize(
    "body",
    [
        "<html><body><h1>403 Forbidden</h1></body></html>",
        "<ErrorResponse><Error><Message>denied</Message></Error></ErrorResponse>",
        "<ErrorResponse><Error><Code>Access Denied</Code></Error></ErrorResponse>",
    ],
    ids=["a-proxy-s-page", "no-code", "a-code-with-a-space"],
)
def test_a_refusal_without_a_code_has_its_status_for_one(body: str) -> None:
    """Pass 54c P6: botocore read no code, and the pull stopped on 'internal error:
    TypeError'."""
    error = _parsed(_rewritten(body)[0], "xml")
    assert error["Code"] == "403" and isinstance(error["Message"], str), error


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        ("Internal Server Error", WITHHELD),
        ("<html>Service unavailable</html>", WITHHELD),  # 61c C4: "(no message)"
        ("<html><!-- x -->Try <![CDATA[later]]></html>", WITHHELD),
        ("<html> </html>", NO_MESSAGE),
        ('{"error": "Forbidden", "detail": "x"}', WITHHELD),  # 65c: text under other keys
        ('{"error": {"reason": ["x"]}}', WITHHELD),
        ('{"__type": "", "RequestId": "1"}', NO_MESSAGE),
        ("key=KnownSecret0123456789abcdef", WITHHELD),
        ("<not xml", WITHHELD),
        ('{"cut short', WITHHELD),
        ("", NO_MESSAGE),
    ],
)
@pytest.mark.parametrize("shape", ["xml", "json"])
def test_any_other_refusal_says_only_whether_it_had_a_message(
    body: str, kept: str, shape: str
) -> None:
    made, _ = _rewritten(body, shape)
    error = _parsed(made, shape)
    assert (error["Code"], error["Message"]) == ("403", kept), made


def test_a_refusal_in_latin_1_keeps_its_code() -> None:
    """Pass 55c C21: an AccessDenied in Latin-1, no charset told: no reading decoded it,
    and it was said to have no code and no message."""
    body = "<ErrorResponse><Error><Code>AccessDenied</Code><Message>Refus\u00e9</Message>"
    raw = (body + "</Error></ErrorResponse>").encode("latin-1")
    made = plain_refusal(raw, 403, HeadersDict(), [], _mask, "xml").decode()
    assert _parsed(made, "xml") == {"Code": "AccessDenied", "Message": WITHHELD}, made


def test_a_code_holding_a_secret_known_is_not_said() -> None:
    def mask(text: str) -> str:
        return text.replace("CorrectHorse", "***")

    body = b"<Error><Code>CorrectHorseBatteryStaple</Code></Error>"
    made = plain_refusal(body, 403, HeadersDict(), [body.decode()], mask, "xml").decode()
    assert _parsed(made, "xml")["Code"] == "403", made


@pytest.mark.parametrize(
    ("reason", "kept"),
    [("INSUFFICIENT_PERMISSIONS", True), ("TOKEN_EXPIRED", True), ("s3cr3tRefreshTok", False)],
)
def test_the_sign_in_service_s_reason_is_kept_as_botocore_reads_it(reason, kept) -> None:
    """Pass 77c: the sign-in service's refusal of an `aws login` renewal gives its reason
    in 'error', which botocore reads to say what to do (allow signin:CreateOAuth2Token,
    sign in again); dropped, it said "an unspecified error". Only its known values stay."""
    body = json.dumps({"__type": "AccessDeniedException", "error": reason, "message": "nope"})
    made = json.loads(_rewritten(body, "json")[0])
    assert made["__type"] == "AccessDeniedException" and made["message"] == WITHHELD
    assert (made.get("error") == reason) == kept and "nope" not in json.dumps(made)
