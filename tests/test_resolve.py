"""Resolving service cells: display names, aliases, ARNs and resource types."""

from __future__ import annotations

import pytest

from reportgen.catalogs.resolve import parse_arn


@pytest.mark.parametrize(
    ("text", "service_id", "matched_by"),
    [
        ("Amazon Simple Storage Service", "s3", "name"),
        ("S3", "s3", "name"),
        ("  amazon s3  ", "s3", "name"),
        ("AWS Lambda", "lambda", "name"),
        ("Amazon Elastic Compute Cloud", "ec2", "name"),
        ("Elastic MapReduce", "elasticmapreduce", "name"),
        ("Amazon EMR", "elasticmapreduce", "name"),
        ("AWS Elastic Beanstalk", "elasticbeanstalk", "name"),
        ("amazon   dynamodb", "dynamodb", "name"),
        ("arn:aws:s3:::bucket", "s3", "arn"),
        ("arn:aws:sqs:eu-west-1:111122223333:queue", "sqs", "arn"),
        ("arn:aws-us-gov:rds:us-gov-west-1:111122223333:db:x", "rds", "arn"),
        ("AWS::RDS::DBInstance", "rds", "resource-type"),
        ("aws::ec2::instance", "ec2", "resource-type"),
        ("AWS::DynamoDB::Table", "dynamodb", "resource-type"),
        ("AWS::SQS::Queue", "sqs", "resource-type"),
    ],
)
def test_resolves(catalogs, text, service_id, matched_by):
    resolution = catalogs.resolver.resolve(text)
    assert resolution is not None, text
    assert (resolution.service_id, resolution.matched_by) == (service_id, matched_by)


def test_arn_carries_region_and_account(catalogs):
    resolution = catalogs.resolver.resolve("arn:aws:sqs:eu-west-1:111122223333:queue")
    assert (resolution.region, resolution.account) == ("eu-west-1", "111122223333")
    assert parse_arn("arn:aws:s3:::bucket") == ("s3", "", "")
    assert parse_arn("not an arn") is None


@pytest.mark.parametrize(
    "text", ["Snowflake Data Cloud", "", "   ", "AWS::Nope::Thing", "arn:aws:nope:::x"]
)
def test_unknown_is_none(catalogs, text):
    assert catalogs.resolver.resolve(text) is None


def test_suggestions_for_a_typo(catalogs):
    assert "Amazon DynamoDB" in catalogs.resolver.suggest("Amazon Dynamo")
    assert catalogs.resolver.suggest("zzzzzzzz") == []


def test_repeated_cells_are_resolved_once(catalogs):
    resolver = catalogs.resolver
    first = resolver.resolve("Amazon S3 ")
    assert resolver.resolve("Amazon S3 ") is first
