"""Exports stay within bounded memory whatever they repeat, and never crash the process.

Each case runs the command line in its own process under an address-space cap
(RLIMIT_AS, 256 MB: a validate run fits in 100 MB), on a small gzip made of one
compressed member written many times (a gzip file may hold many members, each unpacked in
turn), so the input is a few kilobytes to write and hundreds of megabytes to read. Before
these bounds, each case either crashed (a long number: SIGSEGV inside ijson's C backend) or
needed 0.6 to 3 GB.
"""

from __future__ import annotations

import gzip
import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_config
from packhelpers import EPOCH

from reportgen.inventory.limits import Limits
from reportgen.inventory.sources import cur, jsonstream, read_source

ADDRESS_SPACE = 256 << 20
A = "111122223333"
CONFIG = "customer: {name: Harbourline Payments Ltd, short_name: harbourline}\n"


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _validate(tmp_path: Path, inventory: Path, *flags: str) -> subprocess.CompletedProcess:
    write_config(tmp_path, CONFIG)
    command = [sys.executable, "-m", "reportgen", "validate", "--config", "reportgen.yaml"]
    return subprocess.run(
        [*command, "--inventory", str(inventory), *flags],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": EPOCH, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_capped,
    )


def _refused(process: subprocess.CompletedProcess, *expected: str) -> None:
    assert process.returncode == 2, (process.returncode, process.stderr[-2000:])
    assert "Traceback" not in process.stderr
    for text in expected:
        assert text in process.stderr, process.stderr


def _gzip(path: Path, head: bytes, chunk: bytes, times: int, tail: bytes) -> Path:
    """head + chunk * times + tail, gzipped; the chunk is compressed once."""
    member = gzip.compress(chunk, compresslevel=9)
    with path.open("wb") as out:
        out.write(gzip.compress(head))
        for _ in range(times):
            out.write(member)
        out.write(gzip.compress(tail))
    return path


# --- #28: a number too long for ijson's C backend -------------------------------------------

DIGITS = "1" + "0" * 4300
ESCAPED = "\\u0031" * 4400  # digits only once the Config result's string is decoded
_NUMBERS = {  # '@' stands for the number
    # the tester's case: sniffing the file type crashed on it
    "tagging-size": ('{"ResourceTagMappingList":[{"ResourceARN":"arn:aws:s3:::b","Size":@}]}',
                     "$.ResourceTagMappingList[0].Size"),
    "first-value": ('{"ResourceTagMappingList":@}', "$.ResourceTagMappingList"),
    "skipped-field": ('{"format_version":"1.0","values":{"root_module":{"resources":[{"type":'
                      '"aws_s3_bucket","values":{"junk":[-@]}}]}}}',
                      "$.values.root_module.resources[0].values.junk"),
    "after-many-items": ('{"ResourceTagMappingList":['
                         + '{"ResourceARN":"arn:aws:s3:::a"},' * 20_000
                         + '{"ResourceARN":"arn:aws:s3:::b","Size":@}]}',
                         "$.ResourceTagMappingList[20000].Size"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(_NUMBERS))
def test_a_number_too_long_for_the_parser_is_refused_not_a_crash(tmp_path, name):
    text, where = _NUMBERS[name]
    path = tmp_path / f"{name}.json"
    path.write_text(text.replace("@", DIGITS), encoding="utf-8")
    process = _validate(tmp_path, path)
    _refused(process, f"{path}: {where}: ", f"longer than {jsonstream.MAX_DIGITS:,} digits")


def test_a_long_number_inside_a_config_result_is_refused_not_a_crash(tmp_path):
    path = tmp_path / "config.json"  # the digits are escaped: the file has no run of them
    text = '{"Results":["{\\"resourceType\\":\\"AWS::S3::Bucket\\",\\"n\\":@}"]}'
    path.write_text(text.replace("@", ESCAPED), encoding="utf-8")
    process = _validate(tmp_path, path)
    _refused(process, f"{path}: $.Results[0]: the result is not valid JSON (a number is too long)")


def test_a_number_at_the_limit_reaches_the_parser_and_is_read(tmp_path):
    path = tmp_path / "tagging.json"
    number = "9" * jsonstream.MAX_DIGITS
    text = _NUMBERS["tagging-size"][0]
    path.write_text(text.replace("@", number), encoding="utf-8")
    process = _validate(tmp_path, path)
    # Read as a Python int in a skipped field (it was 'not valid JSON': yajl's own
    # integers stop at 64 bits; fifth adversarial pass)
    assert process.returncode == 0, process.stderr[-2000:]
    assert "Traceback" not in process.stderr and "not valid JSON" not in process.stderr


@pytest.mark.parametrize("name", list(_NUMBERS))
@pytest.mark.parametrize("number", ["1e1000000000000000000", "2.5E+1000000000000000001"])
def test_an_exponent_too_large_to_hold_is_refused_not_a_crash(tmp_path, name, number):
    """Sixth adversarial pass: an exponent past what Python's Decimal holds raised
    decimal.InvalidOperation inside the parser, exit 1 "internal error"."""
    path = tmp_path / "export.json"
    text, where = _NUMBERS[name]
    path.write_text(text.replace("@", number), encoding="utf-8")
    process = _validate(tmp_path, path)
    _refused(process, f"{path}: {where}: a number too large to read")
    assert "internal error" not in process.stderr


# --- #29-#31: memory grows with the resources kept, not with the file -----------------------


def test_one_resource_with_millions_of_tags_is_refused_as_they_arrive(tmp_path):
    head = b'{"ResourceTagMappingList":[{"ResourceARN":"arn:aws:s3:::bucket","Tags":['
    chunk = b'{"Key":"k","Value":"v"},' * 100_000
    path = _gzip(tmp_path / "tags.json.gz", head, chunk, 30, b'{"Key":"k","Value":"v"}]}]}')
    process = _validate(tmp_path, path)
    limit = f"{jsonstream.MAX_ITEM_VALUES:,}"
    _refused(process, f"{path}: $.ResourceTagMappingList[0].Tags[", f"more than {limit} JSON")


def test_distinct_tag_keys_are_refused_at_the_first_key_past_the_limit(tmp_path):
    items = [{"ResourceARN": f"arn:aws:s3:::b{i}", "Tags": [{"Key": f"k{i}", "Value": "v"}]}
             for i in range(5_000)]  # fmt: skip
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"ResourceTagMappingList": items}), encoding="utf-8")
    process = _validate(tmp_path, path, "--max-columns", "100")
    # one fixed column (Resource) and 99 tag keys fit; the item with the 100th is named
    _refused(process, f"{path}: $.ResourceTagMappingList[99]: more than 99 distinct tag keys",
             "(the first past it: 'k99')", "--max-columns")  # fmt: skip


TF_HEAD = (b'{"format_version":"1.0","terraform_version":"1.5.0","values":{"root_module":'
           b'{"resources":[{"address":"aws_s3_bucket.b","mode":"managed","type":"aws_s3_bucket",'
           b'"provider_name":"registry.terraform.io/hashicorp/aws","values":{"arn":'
           b'"arn:aws:s3:::b","junk":[')  # fmt: skip


def test_fields_a_reader_does_not_use_are_walked_past_never_built(tmp_path):
    path = _gzip(tmp_path / "state.json.gz", TF_HEAD, b'{"k":0},' * 100_000, 2,
                 b'{"k":0}],"tags":{"pci":"yes"}}}]}}}')  # fmt: skip
    process = _validate(tmp_path, path)
    assert process.returncode == 0, process.stderr[-2000:]  # 200,000 objects walked past


def test_an_item_too_large_to_walk_is_refused(tmp_path):
    # the tester's case: 8,000,000 objects in one resource's values (64 MB; it took 1.6 GB)
    path = _gzip(tmp_path / "state.json.gz", TF_HEAD, b'{"k":0},' * 100_000, 80,
                 b'{"k":0}]}}]}}}')  # fmt: skip
    process = _validate(tmp_path, path)
    _refused(process, f"{path}: $.values.root_module.resources[0].values.junk: the item holds "
             f"more than {jsonstream.MAX_ITEM_EVENTS:,} JSON values")  # fmt: skip


def test_fields_outside_the_resources_are_walked_past(tmp_path):
    head = b'{"format_version":"1.0","terraform_version":"1.5.0","resource_changes":['
    tail = (b'{"k":0}],"values":{"root_module":{"resources":[{"type":"aws_s3_bucket",'
            b'"values":{"arn":"arn:aws:s3:::b"}}]}}}')  # fmt: skip
    path = _gzip(tmp_path / "plan.json.gz", head, b'{"k":[0]},' * 100_000, 30, tail)
    process = _validate(tmp_path, path)  # 3,000,000 objects: no item limit outside items
    assert process.returncode == 0, process.stderr[-2000:]


def test_huge_strings_in_skipped_fields_are_not_kept(tmp_path):
    head = (b'{"format_version":"1.0","values":{"root_module":{"resources":[{"type":'
            b'"aws_s3_bucket","values":{"arn":"arn:aws:s3:::b","policy":[')  # fmt: skip
    chunk = b'"' + b"a" * (3 << 20) + b'",'
    path = _gzip(tmp_path / "state.json.gz", head, chunk, 90, b'""]}}]}}}')
    process = _validate(tmp_path, path)  # 270 MB of strings, each under the 4 MB limit
    assert process.returncode == 0, process.stderr[-2000:]


@pytest.mark.parametrize("key_chars", [32_000, 200_000])
def test_long_keys_nested_in_skipped_fields_are_not_kept(tmp_path, key_chars):
    # Issue 20 (pass 7): ijson's prefixes held every key above an event, so keys of 32 KB
    # 120 deep in a skipped field (a 4 MB export) took 267 MB, and of 200 KB (24 MB) 1.5 GB.
    nested = "1"
    for level in range(120):
        nested = '{"k' + str(level) + "x" * key_chars + '":' + nested + "}"
    text = ('{"ResourceTagMappingList":[{"ResourceARN":"arn:aws:s3:::b","Tags":[],'
            f'"Extra":{nested}}},{{"ResourceARN":"arn:aws:s3:::c","Tags":7}}]}}')  # fmt: skip
    path = tmp_path / "tagging.json.gz"
    path.write_bytes(gzip.compress(text.encode()))
    process = _validate(tmp_path, path)
    # read past the keys to the second item, whose error names its path
    _refused(process, "$.ResourceTagMappingList[1].Tags")


def test_a_long_key_on_the_way_to_the_items_is_cut_in_the_message(tmp_path):
    key = "K" * 3_000_000
    text = '{"ResourceTagMappingList":[],"' + key + '":{"x":[1,2,3'  # cut short: not JSON
    path = tmp_path / "tagging.json"
    path.write_text(text, encoding="utf-8")
    process = _validate(tmp_path, path)
    _refused(process, "$." + "K" * 59 + "…")
    assert "K" * 61 not in process.stderr


@pytest.mark.parametrize(
    ("item", "where"),
    [
        ('{"ResourceARN":"arn:aws:s3:::a","Tags":[],"ResourceARN":"arn:aws:s3:::b"}',
         "$.ResourceTagMappingList[0].ResourceARN"),
        ('{"ResourceARN":"arn:aws:s3:::a","Tags":[{"Key":"pci","Key":"x","Value":"yes"}]}',
         "$.ResourceTagMappingList[0].Tags[0].Key"),
    ],
)  # fmt: skip
def test_a_key_a_reader_uses_given_twice_is_refused(tmp_path, item, where):
    # pass 7: the last value won, silently; another JSON reader may take the first
    path = tmp_path / "tagging.json"
    path.write_text('{"ResourceTagMappingList":[' + item + "]}", encoding="utf-8")
    _refused(_validate(tmp_path, path), f"{where}: the object holds this key twice")


def _config_result(type_: str, arn: str) -> str:
    return json.dumps(json.dumps({"resourceType": type_, "arn": arn}))


def _terraform_values(arn: str) -> str:
    resource = {"mode": "managed", "type": "aws_s3_bucket", "provider_name": "aws",
                "address": "aws_s3_bucket.b", "values": {"arn": arn}}  # fmt: skip
    return '"values":' + json.dumps({"root_module": {"resources": [resource]}})


_TWICE_ON_THE_WAY = {  # the key holding the items, given twice at the top
    "tagging": ('{"ResourceTagMappingList":[{"ResourceARN":"arn:aws:s3:::first","Tags":[]}],'
                '"ResourceTagMappingList":[{"ResourceARN":"arn:aws:s3:::second","Tags":[]}]}',
                "$.ResourceTagMappingList"),
    "config": ('{"Results":[' + _config_result("AWS::S3::Bucket", "arn:aws:s3:::first")
               + '],"Results":[' + _config_result("AWS::S3::Bucket", "arn:aws:s3:::second")
               + "]}", "$.Results"),
    "terraform": ('{"format_version":"1.0",' + _terraform_values("arn:aws:s3:::first") + ","
                  + _terraform_values("arn:aws:s3:::second") + "}", "$.values"),
    "terraform-nested": ('{"format_version":"1.0",' + _terraform_values("arn:aws:s3:::first")
                         .replace("]}}", "],\"resources\":[]}}") + "}",
                         "$.values.root_module.resources"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(_TWICE_ON_THE_WAY))
def test_a_key_on_the_way_to_the_items_given_twice_is_refused(tmp_path, case):
    # pass 11: both lists were read (their union); jq and python -m json read the last
    text, where = _TWICE_ON_THE_WAY[case]
    path = tmp_path / "export.json"
    path.write_text(text, encoding="utf-8")
    _refused(_validate(tmp_path, path), f"{where}: the object holds this key twice")


def test_a_key_a_reader_does_not_use_given_twice_is_walked_past(tmp_path):
    path = tmp_path / "tagging.json"
    item = '{"ResourceARN":"arn:aws:s3:::a","Tags":[]}'
    text = '{"NextToken":"a","ResourceTagMappingList":[' + item + '],"NextToken":"b"'
    path.write_text(text + ',"Meta":{"a":1},"Meta":[]}', encoding="utf-8")
    assert _validate(tmp_path, path).returncode == 0


def test_a_key_given_twice_in_a_skipped_field_is_walked_past(tmp_path):
    path = tmp_path / "tagging.json"
    item = '{"ResourceARN":"arn:aws:s3:::a","Tags":[],"Junk":{"a":1,"a":2}}'
    path.write_text('{"ResourceTagMappingList":[' + item + "]}", encoding="utf-8")
    assert _validate(tmp_path, path).returncode == 0


def test_skipped_fields_still_keep_to_the_depth_limit(tmp_path):
    deep = "[" * 300 + "]" * 300
    path = tmp_path / "state.json"
    text = _NUMBERS["skipped-field"][0].replace("[-@]", deep)
    path.write_text(text, encoding="utf-8")
    process = _validate(tmp_path, path)
    _refused(process, "$.values.root_module.resources[0].values.junk: nested more than 128 "
             "levels deep (in a skipped value)")  # fmt: skip


# Issue 20: yajl lexed a string split between two reads again from its start; the bytes
# before the parser took a regular expression per string (4 MB/s, 1 MB/s for escaped quotes).
def _junk_export(path: Path, junk: str, items: int) -> Path:
    tags = [{"Key": "Note", "Value": 'quote " backslash \\ emoji \U0001f600 brackets [{'}]
    entries = [
        {"ResourceARN": f"arn:aws:s3:::bucket-{n}", "Junk": junk, "Tags": tags}
        for n in range(items)
    ]
    text = json.dumps({"ResourceTagMappingList": entries})  # ensure_ascii: \ud83d\ude00
    with gzip.open(path, "wt", encoding="ascii") as out:
        out.write(text)
    return path


def test_an_export_of_long_escaped_strings_is_read_right(tmp_path):
    # The adversarial review's export (issue 20), smaller: skipped fields of escaped emoji
    # and escaped quotes just under the 4 MB a string may hold, around the tags kept.
    junk = "\U0001f600" * 340_000 + '"\\' * 10  # 4.08 MB once escaped
    path = _junk_export(tmp_path / "tagging.json.gz", junk, 3)
    raw = read_source(path, Limits())
    assert raw is not None
    rows = list(raw.sheets[0].rows)
    assert rows[0][1] == ["Resource", "tag:Note"]
    note = 'quote " backslash \\ emoji \U0001f600 brackets [{'
    assert [cells for _, cells in rows[1:]] == [
        [f"arn:aws:s3:::bucket-{n}", note] for n in range(3)
    ]
    process = _validate(tmp_path, path)  # the command line, under the export tests' memory cap
    assert process.returncode == 0, process.stderr[-2000:]
    assert "rows: 3 (3 resolved" in process.stdout, process.stdout


# Row 32 of the second adversarial report: ijson builds a prefix per level, so nesting n deep
# cost O(n²) before the walker saw the depth (200,000 '[' in 400 KB: 10.5 GB, 70 s). The raw
# bytes are now counted (outside strings) and cut after the first bracket past the limit.
_TAGGING = '{"ResourceTagMappingList":[{"ResourceARN":"arn:aws:s3:::b","Tags":'
_DEEP = {  # name: (text around '@', where the nesting goes; what stderr says)
    "skipped-field": (_TAGGING + '[],"x":@}]}', ("$.ResourceTagMappingList[0].x: nested",)),
    "tags": (_TAGGING + "@}]}", ("$.ResourceTagMappingList[0].Tags", "levels deep")),
    "behind-strings": (_TAGGING + r'[],"x":["\\", "a\"b[{", @]}]}',
                       ("$.ResourceTagMappingList[0].x: nested", "levels deep")),
    # the 64 KB head, sniffed for the top-level keys, holds only nesting: not recognised
    "in-the-head": ('{"x":@,' + _TAGGING[1:] + "[]}]}", ("not an export reportgen reads",)),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(_DEEP))
@pytest.mark.parametrize("bracket", ["[]", '{"a":}'])
def test_deep_nesting_is_refused_before_the_parser_builds_it(tmp_path, name, bracket):
    text, expected = _DEEP[name]
    opening, closing = (bracket[:-1], bracket[-1:])
    deep = opening * 200_000 + "0" + closing * 200_000
    path = tmp_path / f"{name}.json"
    path.write_text(text.replace("@", deep), encoding="utf-8")
    process = _validate(tmp_path, path)  # under the 256 MB address-space cap
    _refused(process, f"{path}: ", *expected)
    assert "more than 128 levels deep" in process.stderr or name == "in-the-head"


def test_deep_nesting_in_a_gzip_is_refused_as_it_is_unpacked(tmp_path):
    path = _gzip(tmp_path / "deep.json.gz", _TAGGING.encode() + b"[", b"[" * 1_000_000, 50,
                 b"]")  # fmt: skip
    process = _validate(tmp_path, path)
    _refused(process, f"{path}: $.ResourceTagMappingList[0].Tags[0]", "more than 128 levels")


def test_brackets_inside_strings_are_not_nesting(tmp_path):
    value = '\\"[{' * 5_000  # a backslash and a quote (escaped in the file), then brackets
    items = [{"ResourceARN": f"arn:aws:s3:::b{i}", "Tags": [{"Key": "k", "Value": value}]}
             for i in range(3)]  # fmt: skip
    path = tmp_path / "strings.json"
    path.write_text(json.dumps({"ResourceTagMappingList": items}), encoding="utf-8")
    process = _validate(tmp_path, path)
    assert process.returncode == 0, process.stderr[-2000:]


def test_max_rows_is_checked_as_items_are_read(tmp_path):
    # distinct resources: one listed again is read once (pass 66a), no row more
    one = b'{"ResourceARN":"arn:aws:s3:::bucket-%d","Tags":[{"Key":"k","Value":"v"}]},'
    block = b"".join(one % number for number in range(10_000))
    path = _gzip(tmp_path / "copies.json.gz", b'{"ResourceTagMappingList":[', block,
                 300, (one % 0)[:-1] + b"]}")  # fmt: skip
    process = _validate(tmp_path, path, "--max-rows", "1000")
    _refused(process, f"{path}: $.ResourceTagMappingList[1000]: more than 1,000 resources",
             "--max-rows")  # fmt: skip


# --- #32: Cost and Usage Report lines are read with a bound ---------------------------------

CUR_HEAD = b"lineItem/ProductCode,lineItem/ResourceId,lineItem/UsageAccountId\n"


def test_a_cur_line_longer_than_the_limit_is_refused_with_its_line(tmp_path):
    head = CUR_HEAD + b"AmazonS3,b,111122223333\nAmazonS3,"
    path = _gzip(tmp_path / "cur.csv.gz", head, b"a" * (1 << 20), 300, b"\n")
    process = _validate(tmp_path, path)
    _refused(process, f"{path}:3: the line is longer than {cur.MAX_LINE_CHARS:,} characters")


@pytest.mark.parametrize("filler", [b"\n", b"\r\n", b",,\n"])
def test_blank_cur_lines_are_passed_over_not_carried(tmp_path, filler):
    # Eighth pass: 208 MB of blank lines took 103 s and 270 MB, a row each; now about 4 s.
    head = CUR_HEAD + b"AmazonS3,b,111122223333\n"
    path = _gzip(tmp_path / "cur.csv.gz", head, filler * (1 << 19), 150, b"AmazonS3,c\n")
    process = _validate(tmp_path, path)  # under the 256 MB cap: a row each took more
    lines = 3 + 150 * (1 << 19)
    _refused(process, f"{path}:{lines}: the line has 2 fields; the header has 3")


def test_cur_lines_are_numbered_right_past_blank_ones(tmp_path):
    body = b"AmazonS3,b,111122223333\n\n\r\n,,\n" + b'"AmazonS3",c,1\n\n' + b"AmazonS3,c\n"
    for name, data in (("plain", body.replace(b'"', b"").replace(b"\r", b"")), ("quoted", body)):
        path = tmp_path / f"{name}.csv"
        path.write_bytes(CUR_HEAD + data)
        _refused(_validate(tmp_path, path), f"{path}:8: the line has 2 fields")


def test_cur_lines_are_numbered_right_past_a_field_over_lines(tmp_path):
    # Eighth pass: records were counted, not lines: this short line was named as line 5
    path = tmp_path / "cur.csv"
    body = b'AmazonS3,b,1\nAmazonS3,"multi\nline\nresource",1\nAmazonS3,c,1\nAmazonS3,d\n'
    path.write_bytes(CUR_HEAD + body)
    _refused(_validate(tmp_path, path), f"{path}:7: the line has 2 fields")


def test_a_cur2_tag_map_that_is_not_json_is_named_by_line_and_column(tmp_path):
    head = (b"line_item_product_code,line_item_resource_id,line_item_usage_account_id,"
            b"resource_tags\n")  # fmt: skip
    good = b'AmazonS3,b,111122223333,"{""user_env"": ""prod""}"\n'
    path = tmp_path / "cur2.csv"
    path.write_bytes(head + good * 3 + b"AmazonS3,c,111122223333,{not json\n")
    _refused(
        _validate(tmp_path, path),
        f"{path}:5, column D (resource_tags): a resource_tags value is not a JSON map",
    )


def test_a_long_cur_header_is_refused(tmp_path):
    head = b"lineItem/ProductCode,lineItem/UsageAccountId,"
    path = _gzip(tmp_path / "cur.csv.gz", head, b"x" * (1 << 20), 300, b"\n")
    process = _validate(tmp_path, path)
    _refused(process, f"{path}:1: the line is longer than")


def test_a_quote_left_open_in_a_cur_is_refused_within_the_line_limit(tmp_path):
    head = CUR_HEAD + b'AmazonS3,"open,111122223333\n'
    path = _gzip(tmp_path / "cur.csv.gz", head, b"AmazonS3,b,1\n" * 100_000, 300, b"")
    process = _validate(tmp_path, path)
    _refused(process, f"{path}:2: a quoted field is left open on this line")


def test_a_cur_field_over_many_lines_is_refused_at_the_line_its_record_starts(tmp_path):
    """Third adversarial pass: a quoted field of 1,000,000 short lines was refused as
    'malformed CSV: field larger than field limit (131072)' at line 65,539. Fifth: the
    figure was then csv's own limit (131,071), the hint to raise --max-cell-chars (32,767)."""
    head = CUR_HEAD + b"AmazonS3,b,111122223333\n" * 3 + b'AmazonS3,"'
    path = _gzip(tmp_path / "cur.csv.gz", head, b"x\n" * 1000, 1000, b'",111122223333\n')
    for flags, limit in (((), Limits().max_cell_chars), (("--max-cell-chars", "100000"), 100_000)):
        process = _validate(tmp_path, path, *flags)
        _refused(process, f"{path}:5: a field of the record starting here is longer than "
                 f"{limit:,} characters (--max-cell-chars)", "Raise --max-cell-chars")  # fmt: skip


def test_distinct_cur_resources_past_max_rows_are_refused_while_counting(tmp_path):
    lines = b"".join(b"AmazonS3,r%d,111122223333\n" % i for i in range(300_000))
    path = tmp_path / "cur.csv.gz"
    path.write_bytes(gzip.compress(CUR_HEAD + lines, compresslevel=1))
    process = _validate(tmp_path, path, "--max-rows", "1000")
    _refused(process, "more than 1,000 distinct resources by this line", "--max-rows")
    line = int(process.stderr.split(f"{path}:", 1)[1].split(":", 1)[0])
    assert line < cur.FOLD_KEYS + 20_000  # the first fold, not the end of the file


def test_distinct_cur_resources_share_what_repeats(tmp_path):
    # Issue 20 (pass 7): each resource kept its own copy of its line's account, product,
    # region and tags, and the table was built beside the resources (a million: 1.1 GB).
    head = (
        CUR_HEAD.rstrip(b"\n") + b",product/region,resourceTags/user:env,resourceTags/user:team\n"
    )
    lines = b"".join(
        b"AmazonS3,arn:aws:s3:::bucket-number-%d,111122223333,eu-west-1,prod,team-%d\n"
        % (i, i % 50)
        for i in range(250_000)
    )
    path = tmp_path / "cur.csv.gz"
    path.write_bytes(gzip.compress(head + lines, compresslevel=1))
    process = _validate(tmp_path, path)  # 256 MB of address space; before, about 300 MB
    assert process.returncode == 0, process.stderr[-2000:]


def test_security_md_states_the_export_bounds_of_the_code():
    text = " ".join((Path(__file__).parents[1] / "SECURITY.md").read_text().split())
    assert f"more than {jsonstream.MAX_DIGITS:,} digits" in text
    assert f"at most {jsonstream.MAX_ITEM_VALUES:,} JSON values" in text
    assert f"walk at most {jsonstream.MAX_ITEM_EVENTS:,} in all" in text
    assert f"longer than {cur.MAX_LINE_CHARS:,} characters" in text
    assert f"every {cur.FOLD_KEYS:,} distinct keys" in text
    assert f"under a {ADDRESS_SPACE >> 20} MB address-space cap" in text


def test_an_escaped_quote_split_at_every_read_is_still_one_long_string(tmp_path):
    """Third adversarial pass: with '\\' the last byte of each 64 KB read and '"' the
    first of the next, the string guard forgot the backslash and restarted its count at
    every read: a 256 MB string was accepted (394 s, 854 MB). Now refused at 4 MB."""
    read = 65536
    head = b'{"ResourceTagMappingList":[{"ResourceARN":"arn:aws:s3:::b","Tags":[],"Junk":"'
    body = bytearray(head)
    while len(body) < 16 * (1 << 20):
        body += b"a" * ((-len(body) - 1) % read) + b'\\"'
    path = tmp_path / "split.json"
    path.write_bytes(bytes(body) + b'"}]}\n')
    process = _validate(tmp_path, path)
    _refused(process, "$.ResourceTagMappingList[0].Junk: a string", "longer than 4,194,304 bytes")


def test_a_key_given_twice_in_a_config_result_is_refused(tmp_path):
    """Ninth pass: a result string parsed whole took the last of two resourceType and
    accountId keys, putting the resource in the pack as RDS in another account."""
    result = ('{"resourceId":"b","resourceType":"AWS::S3::Bucket","accountId":"111122223333",'
              '"awsRegion":"eu-west-1","resourceType":"AWS::RDS::DBInstance"}')  # fmt: skip
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"Results": [result], "QueryInfo": {}}), encoding="utf-8")
    _refused(
        _validate(tmp_path, path),
        "$.Results[0]: the result's JSON: the key 'resourceType' is given twice in one object",
    )


def test_a_key_given_twice_in_a_cur2_tag_map_is_refused(tmp_path):
    head = (b"line_item_product_code,line_item_resource_id,line_item_usage_account_id,"
            b"resource_tags\n")  # fmt: skip
    path = tmp_path / "cur2.csv"
    twice = b'AmazonS3,c,111122223333,"{""user_pci"": ""no"", ""user_pci"": ""yes""}"\n'
    path.write_bytes(head + b"AmazonS3,b,111122223333,\n" + twice)
    _refused(
        _validate(tmp_path, path),
        f"{path}:3, column D (resource_tags): a resource_tags value is a JSON map in which "
        "the key 'user_pci' is given twice",
    )


def test_a_cur_quote_left_open_to_the_end_is_refused(tmp_path):
    """Ninth pass: the 60 line items below a quote left open in the last column became
    part of one field, dropped without a word."""
    path = tmp_path / "cur.csv"
    rows = b"".join(b"AmazonS3,r%d,111122223333\n" % n for n in range(60))
    path.write_bytes(CUR_HEAD + b'AmazonS3,b,111122223333\nAmazonS3,c,"1111\n' + rows)
    _refused(_validate(tmp_path, path), f"{path}:3: a quoted field is left open on this line")


def test_a_tag_given_twice_with_two_values_is_refused(tmp_path):
    """Ninth pass: of pci=no and pci=yes the last won, silently putting the resource in
    the PCI pack."""
    tags = '[{"Key":"pci","Value":"no"},{"Key":"env","Value":"p"},{"Key":"pci","Value":"yes"}]'
    path = tmp_path / "tagging.json"
    path.write_text('{"ResourceTagMappingList":[{"ResourceARN":"arn:aws:s3:::a","Tags":'
                    + tags + "}]}", encoding="utf-8")  # fmt: skip
    _refused(
        _validate(tmp_path, path),
        "$.ResourceTagMappingList[0].Tags[2]: the tag 'pci' is given twice, with the values "
        "'no' and 'yes'",
    )
    same = tags.replace('"yes"', '"no"')  # the same value twice is one tag
    path.write_text('{"ResourceTagMappingList":[{"ResourceARN":"arn:aws:s3:::a","Tags":'
                    + same + "}]}", encoding="utf-8")  # fmt: skip
    assert _validate(tmp_path, path).returncode == 0


def test_a_value_too_long_for_a_cell_is_named_where_it_is_in_the_export(tmp_path):
    """Tenth pass: an over-long ARN in a JSON export was refused as 'row 3, column A', a
    row and column of a table the export never had."""
    long_tag = [{"Key": "env", "Value": "y" * 40_000}]
    items = [{"ResourceARN": "arn:aws:s3:::ok", "Tags": []},
             {"ResourceARN": "arn:aws:s3:::" + "x" * 40_000, "Tags": []},
             {"ResourceARN": "arn:aws:s3:::t", "Tags": long_tag}]  # fmt: skip
    path = tmp_path / "tagging.json"
    path.write_text(json.dumps({"ResourceTagMappingList": items}), encoding="utf-8")
    _refused(
        _validate(tmp_path, path),
        f"{path}: $.ResourceTagMappingList[1]: Resource: 40,013 characters, over the limit "
        "of 32,767 for a cell",
        "--max-cell-chars",
    )
    path.write_text(json.dumps({"ResourceTagMappingList": items[::2]}), encoding="utf-8")
    _refused(_validate(tmp_path, path), "$.ResourceTagMappingList[1]: tag 'env': 40,000")


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("[1, 2]", "a list, not a text value"),
        ("true", "true or false, not a text value"),
        # Fourteenth pass: NaN (not JSON) and 1e999 (past any float) were read by json.loads
        # and became the tag values 'nan' and 'inf'; the JSON exports refuse both.
        ("NaN", "a number that is NaN (not a number)"),
        ("1e999", "a number too large to read (past 1.8e308"),
        ("-Infinity", "a number too large to read (past 1.8e308"),
    ],
)
def test_a_cur2_tag_whose_value_is_not_text_is_named(tmp_path, value, said):
    """Tenth pass: a tag whose value was a list was dropped without a word."""
    head = (b"line_item_product_code,line_item_resource_id,line_item_usage_account_id,"
            b"resource_tags\n")  # fmt: skip
    good = b'AmazonS3,b,111122223333,"{""user_env"": ""prod"", ""user_n"": 1}"\n'
    bad = f'AmazonS3,c,111122223333,"{{""user_pci"": {value}}}"\n'.encode()
    path = tmp_path / "cur2.csv"
    path.write_bytes(head + good + bad)
    _refused(
        _validate(tmp_path, path),
        f"{path}:3, column D (resource_tags): a resource_tags value gives the tag 'user_pci' "
        f"{said}",
    )
