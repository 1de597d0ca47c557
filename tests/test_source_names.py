"""Names exports give services, against their maintained sources: every AWS Config resource
type botocore knows, every catalog service's Terraform prefix, and real CUR product codes."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

from reportgen.catalogs.resolve import ServiceResolver
from reportgen.catalogs.source_names import load_table

botocore_loaders = pytest.importorskip("botocore.loaders")

# Config types of services AWS has retired; the catalog leaves them out on purpose.
RETIRED = {
    "AWS::QLDB::Ledger", "AWS::IoTEvents::Input", "AWS::IoTEvents::DetectorModel",
    "AWS::IoTEvents::AlarmModel", "AWS::IoTAnalytics::Datastore", "AWS::IoTAnalytics::Dataset",
    "AWS::IoTAnalytics::Pipeline", "AWS::IoTAnalytics::Channel",
    "AWS::RoboMaker::RobotApplicationVersion", "AWS::RoboMaker::SimulationApplication",
    "AWS::RoboMaker::RobotApplication", "AWS::LookoutMetrics::Alert",
    "AWS::LookoutVision::Project", "AWS::Panorama::Package", "AWS::Evidently::Project",
    "AWS::Evidently::Launch", "AWS::Evidently::Segment",
}  # fmt: skip


@pytest.fixture(scope="module")
def resolver(catalogs) -> ServiceResolver:
    return catalogs.resolver


def test_the_packaged_table_is_what_the_generator_writes():
    tool = ROOT / "tools" / "gen_source_names.py"
    process = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True, text=True)
    assert process.returncode == 0, process.stdout + process.stderr


def test_every_aws_config_resource_type_resolves(resolver):
    model = botocore_loaders.Loader().load_service_model("config", "service-2")
    types = model["shapes"]["ResourceType"]["enum"]
    unresolved = {t for t in types if resolver.resolve(t) is None}
    assert unresolved == RETIRED & set(types)


def test_every_catalog_service_with_a_botocore_client_has_a_terraform_word(catalogs):
    sys.path.insert(0, str(ROOT / "tools"))
    from gen_service_aliases import CATALOG, load_clients, map_clients, read_catalog

    with_clients = set(map_clients(read_catalog(CATALOG), load_clients()))
    worded = set(load_table()["terraform"].values())
    assert with_clients and with_clients <= worded


# Types from the AWS provider's resource list, with the service each belongs to.
TERRAFORM = {
    "aws_instance": "ec2", "aws_ebs_volume": "ec2", "aws_vpc_endpoint": "ec2",
    "aws_security_group_rule": "ec2", "aws_route_table_association": "ec2",
    "aws_default_security_group": "ec2", "aws_ec2_transit_gateway": "ec2",
    "aws_db_instance": "rds", "aws_rds_cluster": "rds", "aws_docdb_cluster": "rds",
    "aws_lb": "elasticloadbalancing", "aws_lb_target_group": "elasticloadbalancing",
    "aws_alb_listener": "elasticloadbalancing", "aws_elb": "elasticloadbalancing",
    "aws_s3_bucket": "s3", "aws_s3_bucket_public_access_block": "s3",
    "aws_route53_zone": "route53", "aws_route53_resolver_endpoint": "route53resolver",
    "aws_cloudwatch_log_group": "logs", "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_cloudwatch_event_rule": "events", "aws_iam_role_policy_attachment": "iam",
    "aws_kms_alias": "kms", "aws_lambda_permission": "lambda", "aws_sfn_state_machine": "states",
    "aws_api_gateway_rest_api": "apigateway", "aws_apigatewayv2_stage": "apigateway",
    "aws_cognito_user_pool": "cognito-idp", "aws_cognito_identity_pool": "cognito-identity",
    "aws_autoscaling_group": "autoscaling", "aws_launch_configuration": "autoscaling",
    "aws_appautoscaling_target": "application-autoscaling", "aws_msk_cluster": "kafka",
    "aws_efs_file_system": "elasticfilesystem", "aws_elasticache_cluster": "elasticache",
    "aws_kinesis_firehose_delivery_stream": "firehose", "aws_kinesis_stream": "kinesis",
    "aws_opensearch_domain": "es", "aws_elasticsearch_domain": "es",
    "aws_wafv2_web_acl": "wafv2", "aws_guardduty_detector": "guardduty",
    "aws_cloudtrail": "cloudtrail", "aws_config_configuration_recorder": "config",
    "aws_secretsmanager_secret_version": "secretsmanager", "aws_ssm_parameter": "ssm",
    "aws_ecs_task_definition": "ecs", "aws_eks_node_group": "eks", "aws_ecr_repository": "ecr",
    "aws_sns_topic_subscription": "sns", "aws_sqs_queue_policy": "sqs",
    "aws_dynamodb_table": "dynamodb", "aws_cloudfront_distribution": "cloudfront",
    "aws_acm_certificate_validation": "acm", "aws_backup_vault": "backup",
    "aws_organizations_account": "organizations", "aws_securityhub_account": "securityhub",
    "aws_networkfirewall_firewall": "network-firewall", "aws_vpclattice_service": "vpc-lattice",
    "aws_dx_connection": "directconnect", "aws_directory_service_directory": "ds",
    "aws_elastic_beanstalk_environment": "elasticbeanstalk", "aws_emr_cluster": "elasticmapreduce",
    "aws_glue_job": "glue", "aws_redshift_cluster": "redshift", "aws_sagemaker_domain": "sagemaker",
    "awscc_ec2_vpc": "ec2", "awscc_s3_bucket": "s3",
}  # fmt: skip


@pytest.mark.parametrize("type_name", sorted(TERRAFORM))
def test_terraform_types_resolve_to_their_service(resolver, type_name):
    found = resolver.resolve(type_name)
    assert found is not None and found.service_id == TERRAFORM[type_name]
    assert found.matched_by == "terraform-type"


def test_a_word_matches_only_at_an_underscore(resolver):
    assert resolver.resolve("aws_route53_record").service_id == "route53"  # not aws_route
    assert resolver.resolve("aws_vpclattice_listener").service_id == "vpc-lattice"  # not aws_vpc
    assert resolver.resolve("aws_not_a_service_thing") is None


def test_every_listed_product_code_resolves_to_its_service(resolver):
    wrong = {
        code: getattr(resolver.resolve(code), "service_id", None)
        for code, service_id in load_table()["product_codes"].items()
        if getattr(resolver.resolve(code), "service_id", None) != service_id
    }
    assert wrong == {}


@pytest.mark.parametrize(
    ("code", "service_id"),
    [("AmazonEC2", "ec2"), ("AWSQueueService", "sqs"), ("awskms", "kms"), ("AmazonS3", "s3"),
     ("AWSLambda", "lambda"), ("AmazonVPC", "ec2"), ("AmazonKendra", "kendra"),
     ("AmazonAthena", "athena"), ("AWSIoTSiteWise", "iotsitewise")],
)  # fmt: skip
def test_product_codes_resolve_listed_or_by_the_name_after_their_brand(resolver, code, service_id):
    found = resolver.resolve(code)
    assert found is not None and (found.service_id, found.matched_by) == (
        service_id,
        "product-code",
    )
