#!/usr/bin/env python3
"""Generate reportgen/catalogs/source_names.yaml: Terraform type prefixes and CUR product
codes for the services of services.yaml.

Maintainer tool, like gen_service_aliases.py (and built on it); needs botocore:

    python tools/gen_source_names.py            # print the table
    python tools/gen_source_names.py --check    # exit 1 if the packaged table differs
    python tools/gen_source_names.py --write    # rewrite the packaged table

Terraform: the AWS provider names most resources ``aws_<client>_...`` after the service's
botocore client (``aws_accessanalyzer_analyzer``, ``aws_sns_topic``), so every botocore
client of a catalog service gives a word; ``TERRAFORM`` below adds the provider's older
names (``aws_db_instance`` is RDS, ``aws_instance`` EC2, ``aws_lb`` Elastic Load
Balancing), taken from the provider's resource list. A word matches a type that equals it
or continues with '_'; the longest wins.

Product codes: no maintained source ships offline (the Price List API lists them), so
``PRODUCT_CODES`` is kept by hand from real reports; a code not listed is read as the
catalog name after its brand (``AmazonFoo`` as ``Foo``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_service_aliases import CATALOG, load_clients, map_clients, read_catalog

OUTPUT = CATALOG.parent / "source_names.yaml"

# The provider's names that do not follow its botocore client (word -> catalog service id).
TERRAFORM: dict[str, str] = {
    # EC2, EBS and VPC share the ec2 namespace
    **dict.fromkeys(
        ["aws_instance", "aws_ami", "aws_ebs", "aws_eip", "aws_vpc", "aws_subnet",
         "aws_security_group", "aws_network_acl", "aws_network_interface", "aws_route_table",
         "aws_route", "aws_internet_gateway", "aws_egress_only_internet_gateway",
         "aws_nat_gateway", "aws_key_pair", "aws_launch_template", "aws_placement_group",
         "aws_spot_instance_request", "aws_spot_fleet_request", "aws_spot_datafeed_subscription",
         "aws_volume_attachment", "aws_snapshot_create_volume_permission",
         "aws_customer_gateway", "aws_vpn_gateway", "aws_vpn_connection",
         "aws_vpn_gateway_attachment", "aws_vpn_gateway_route_propagation", "aws_default",
         "aws_flow_log", "aws_main_route_table_association", "aws_verifiedaccess",
         "aws_prefix_list", "aws_availability_zone", "aws_availability_zones",
         "aws_dhcp_options", "aws_vpc_dhcp_options", "aws_ec2"],
        "ec2",
    ),
    **dict.fromkeys(["aws_db", "aws_rds", "aws_docdb", "aws_neptune"], "rds"),
    **dict.fromkeys(
        ["aws_lb", "aws_alb", "aws_elb", "aws_load_balancer", "aws_app_cookie_stickiness_policy",
         "aws_lb_cookie_stickiness_policy", "aws_proxy_protocol_policy"],
        "elasticloadbalancing",
    ),
    "aws_autoscaling": "autoscaling",
    "aws_launch_configuration": "autoscaling",
    "aws_appautoscaling": "application-autoscaling",
    "aws_api_gateway": "apigateway",
    "aws_cloudwatch": "cloudwatch",
    "aws_cloudwatch_log": "logs",
    "aws_cloudwatch_query_definition": "logs",
    "aws_cloudwatch_event": "events",
    "aws_schemas": "events",
    "aws_sfn": "states",
    "aws_cognito": "cognito-idp",
    "aws_cognito_identity_pool": "cognito-identity",
    "aws_elasticsearch": "es",
    "aws_opensearch": "es",
    "aws_opensearchserverless": "aoss",
    "aws_msk": "kafka",
    "aws_mskconnect": "kafkaconnect",
    "aws_efs": "elasticfilesystem",
    "aws_kinesis": "kinesis",
    "aws_kinesis_firehose": "firehose",
    "aws_kinesis_analytics": "kinesisanalytics",
    "aws_kinesisanalyticsv2": "kinesisanalytics",
    "aws_kinesis_video": "kinesisvideo",
    "aws_emr": "elasticmapreduce",
    "aws_emrcontainers": "emr-containers",
    "aws_emrserverless": "emr-serverless",
    "aws_waf": "wafv2",
    "aws_wafregional": "wafv2",
    "aws_route53_resolver": "route53resolver",
    "aws_route53_recoverycontrolconfig": "route53-recovery-control-config",
    "aws_route53_recoveryreadiness": "route53-recovery-control-config",
    "aws_s3control": "s3",
    "aws_ssmincidents": "ssm-incidents",
    "aws_ssmcontacts": "ssm-incidents",
    "aws_ssoadmin": "sso",
    "aws_identitystore": "sso",
    "aws_directory_service": "ds",
    "aws_elastic_beanstalk": "elasticbeanstalk",
    "aws_service_discovery": "servicediscovery",
    "aws_codestarconnections": "codeconnections",
    "aws_codestarnotifications": "codestar-notifications",
    "aws_ses": "ses",
    "aws_sesv2": "ses",
    "aws_dx": "directconnect",
    "aws_cloudhsm_v2": "cloudhsm",
    "aws_prometheus": "aps",
    "aws_location": "geo",
    "aws_pinpoint": "mobiletargeting",
    "aws_cur_report_definition": "cur",
    "aws_bedrockagent": "bedrock",
    "aws_inspector": "inspector2",
    "aws_macie2": "macie2",
    "aws_ecrpublic": "ecr-public",
    "aws_cloudtrail": "cloudtrail",
    "aws_codepipeline": "codepipeline",
    "aws_guardduty": "guardduty",
    "aws_timestreamwrite": "timestream",
    "aws_timestreaminfluxdb": "timestream-influxdb",
    "aws_iot": "iot",
    "aws_glacier": "glacier",
    "aws_media_convert_queue": "mediaconvert",
    "aws_media_package_channel": "mediapackage",
    "aws_networkfirewall": "network-firewall",
    "aws_vpclattice": "vpc-lattice",
    "aws_chime": "chime",
    "aws_simpledb_domain": "sdb",
    "aws_serverlessapplicationrepository": "serverlessrepo",
    "aws_dms": "dms",
    "aws_s3outposts": "s3-outposts",
}  # fmt: skip

# Product codes seen in real Cost and Usage Reports (code -> catalog service id).
PRODUCT_CODES: dict[str, str] = {
    "AWSQueueService": "sqs",
    "AmazonVPC": "ec2",
    "AmazonEBS": "ec2",
    "AmazonDocDB": "rds",
    "AmazonNeptune": "rds",
    "AmazonKinesisFirehose": "firehose",
    "AmazonStates": "states",
    "AmazonRegistrar": "route53domains",
    "AWSDatabaseMigrationSvc": "dms",
    "AmazonPrometheus": "aps",
    "AmazonLocationService": "geo",
    "AWSCloudMap": "servicediscovery",
    "AWSSupportBusiness": "support",
    "AWSSupportEnterprise": "support",
    "AWSDeveloperSupport": "support",
    "AWSSupportEnterpriseOnRamp": "support",
    "AWSSystemsManager": "ssm",
    "AmazonInspectorV2": "inspector2",
    "AmazonMacie": "macie2",
    "AmazonCognitoSync": "cognito-identity",
    "AmazonSimpleDB": "sdb",
    "AmazonKinesisAnalytics": "kinesisanalytics",
    "AmazonKinesisVideo": "kinesisvideo",
    "AWSEvents": "events",
    "AmazonEventBridge": "events",
    "AWSCertificateManager": "acm",
    "AWSPrivateCA": "acm-pca",
    "AWSCloudHSM": "cloudhsm",
    "AWSDirectoryService": "ds",
    "AWSFMS": "fms",
    "AmazonCloudWatchEvents": "events",
    "AmazonSWF": "swf",
    "AmazonDAX": "dax",
    "AmazonMSK": "kafka",
    "AmazonMQ": "mq",
    "AmazonES": "es",
    "AmazonOpenSearchService": "es",
    "AmazonSageMaker": "sagemaker",
    "AmazonCloudDirectory": "ds",
    "AWSBackup": "backup",
    "AWSELB": "elasticloadbalancing",
    "awswaf": "wafv2",
    "AWSSecretsManager": "secretsmanager",
    "AWSTransfer": "transfer",
    "AWSGlue": "glue",
    "AWSAmplify": "amplify",
    "AWSCodeArtifact": "codeartifact",
    "AmazonWorkSpaces": "workspaces",
    "AmazonGuardDuty": "guardduty",
    "AmazonDetective": "detective",
    "AWSSecurityHub": "securityhub",
    "AWSShield": "shield",
    "AWSXRay": "xray",
    "AWSIoT": "iot",
    "AWSGreengrass": "greengrass",
    "AmazonCloudFront": "cloudfront",
    "AmazonRoute53": "route53",
    "AmazonApiGateway": "apigateway",
    "AmazonECRPublic": "ecr-public",
    "AWSElementalMediaConvert": "mediaconvert",
    "AWSElementalMediaLive": "medialive",
    "AWSElementalMediaPackage": "mediapackage",
    "AmazonTimestream": "timestream",
    "AmazonMemoryDB": "memorydb",
    "AmazonQuickSight": "quicksight",
    "AmazonBedrock": "bedrock",
    "AmazonLightsail": "lightsail",
    "AmazonEFS": "elasticfilesystem",
    "AmazonFSx": "fsx",
    "AmazonEKS": "eks",
    "AmazonECS": "ecs",
    "AmazonECR": "ecr",
    "AWSLambda": "lambda",
    "AWSCloudTrail": "cloudtrail",
    "AWSConfig": "config",
    "AmazonCloudWatch": "cloudwatch",
    "awskms": "kms",
    "AmazonSNS": "sns",
    "AmazonSES": "ses",
    "AmazonS3": "s3",
    "AmazonS3GlacierDeepArchive": "s3",
    "AmazonGlacier": "glacier",
    "AmazonEC2": "ec2",
    "AmazonRDS": "rds",
    "AmazonDynamoDB": "dynamodb",
    "AmazonElastiCache": "elasticache",
    "AmazonRedshift": "redshift",
    "AmazonAthena": "athena",
    "AmazonKinesis": "kinesis",
    "AmazonCognito": "cognito-idp",
    "AWSCodeBuild": "codebuild",
    "AWSCodePipeline": "codepipeline",
    "AWSCodeCommit": "codecommit",
    "AWSCodeDeploy": "codedeploy",
    "AWSCloudFormation": "cloudformation",
    "AWSCloudShell": "cloudshell",
    "AWSStorageGateway": "storagegateway",
    "AWSDataSync": "datasync",
    "AWSDirectConnect": "directconnect",
    "AWSGlobalAccelerator": "globalaccelerator",
    "AWSNetworkFirewall": "network-firewall",
    "AWSAppSync": "appsync",
    "AWSAppRunner": "apprunner",
    "AWSCostExplorer": "ce",
    "AWSBudgets": "budgets",
    "AmazonMWAA": "airflow",
    "AmazonEMR": "elasticmapreduce",
    "ElasticMapReduce": "elasticmapreduce",
    "AmazonConnect": "connect",
    "AmazonPolly": "polly",
    "AmazonRekognition": "rekognition",
    "AmazonTextract": "textract",
    "AmazonTranslate": "translate",
    "AmazonComprehend": "comprehend",
    "AmazonTranscribe": "transcribe",
    "AmazonLex": "lex",
    "AmazonKendra": "kendra",
    "AmazonAppStream": "appstream",
    "AmazonWorkDocs": "workdocs",
    "AmazonWorkMail": "workmail",
    "AWSOutposts": "outposts",
    "AmazonGrafana": "grafana",
}

# Product codes that are not a service: reportgen skips their line items with a count.
NOT_SERVICES = ("AWSDataTransfer", "OCBPremiumSupport", "ComputeSavingsPlans")


def generated_words(catalog, clients) -> tuple[dict[str, str], list[str]]:
    """aws_<client> and aws_<id> for every catalog service; words claimed twice dropped."""
    mapping = map_clients(catalog, clients)
    claims: dict[str, set[str]] = {}
    for service in catalog.services:
        sid = service["id"]
        names = [sid, *(client.name for client in mapping.get(sid, []))]
        for name in names:
            claims.setdefault("aws_" + name.replace("-", "").lower(), set()).add(sid)
    words = {word: sids.pop() for word, sids in claims.items() if len(sids) == 1}
    notes = [f"{w}: claimed by {', '.join(sorted(s))}" for w, s in claims.items() if len(s) > 1]
    return words, notes


def build_table() -> tuple[dict, list[str]]:
    catalog = read_catalog(CATALOG)
    ids = {s["id"] for s in catalog.services}
    words, notes = generated_words(catalog, load_clients())
    words.update(TERRAFORM)
    unknown = sorted(
        f"{name} -> {sid}"
        for name, sid in [*TERRAFORM.items(), *PRODUCT_CODES.items()]
        if sid not in ids
    )
    if unknown:
        raise SystemExit(f"entries name services not in the catalog: {', '.join(unknown)}")
    table = {
        "terraform": dict(sorted(words.items())),
        "product_codes": dict(sorted(PRODUCT_CODES.items(), key=lambda i: i[0].casefold())),
        "not_services": sorted(NOT_SERVICES),
    }
    return table, notes


HEADER = """\
# Names that exports give AWS services, mapped onto the ids of services.yaml.
# Generated by tools/gen_source_names.py --write (botocore client names, plus the tables in
# that tool); do not edit by hand. terraform: a word matches a resource type that equals it
# or continues with '_', the longest word wins. product_codes: Cost and Usage Report codes;
# a code not listed is read as the catalog name after its brand ('AmazonFoo' as 'Foo').
# not_services: product codes that name no service (their line items are counted, skipped).
"""


def render(table: dict) -> str:
    body = yaml.safe_dump(table, sort_keys=False, default_flow_style=False, width=100)
    return HEADER + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if the table differs")
    mode.add_argument("--write", action="store_true", help="rewrite the packaged table")
    args = parser.parse_args(argv)
    table, notes = build_table()
    for note in notes:
        print(f"collision: {note}", file=sys.stderr)
    text = render(table)
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is out of date: run tools/gen_source_names.py --write")
            return 1
        print(f"{OUTPUT}: up to date")
        return 0
    if args.write:
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"{OUTPUT}: written ({len(table['terraform'])} Terraform words)")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
