"""Regenerate inputs/inventory.xlsx, the sample inventory of a fictional company.

Run: .venv/bin/python tools/make_sample_inventory.py
The workbook mimics a hand-kept export: title rows above the header, service names
written several ways (display names, ARNs, CloudFormation types), one service that is not
AWS at all. Zip entry times and document properties are fixed so the file is stable.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from reportgen.render.zipfix import save_workbook

OUT = Path(__file__).resolve().parent.parent / "inputs" / "inventory.xlsx"
FIXED = dt.datetime(2026, 11, 2, 9, 0, 0)

PROD, DATA, SHARED, DEV = "111122223333", "444455556666", "777788889999", "210987654321"
PCI_SOC2, ALL, ISO_SOC2, NONE = "PCI DSS, SOC 2", "all", "ISO 27001; SOC 2", "none"

HEADERS = [
    "AWS Service",
    "Resource ARN / ID",
    "Account ID",
    "Region",
    "Env",
    "Owner Team",
    "Data Classification",
    "Audit Scope",
    "Notes",
]

ROWS = [
    # Payments platform, production (cardholder data environment)
    ["Amazon EC2", f"arn:aws:ec2:eu-west-1:{PROD}:instance/i-0a1b2c3d4e5f60001", PROD, "eu-west-1",
     "production", "Cloud Platform", "Restricted", PCI_SOC2, "Payment API node 1"],
    ["Amazon EC2", f"arn:aws:ec2:eu-west-1:{PROD}:instance/i-0a1b2c3d4e5f60002", PROD, "eu-west-1",
     "production", "Cloud Platform", "Restricted", PCI_SOC2, "Payment API node 2"],
    ["Amazon Elastic Compute Cloud", f"arn:aws:ec2:eu-west-1:{PROD}:instance/i-0a1b2c3d4e5f60003",
     PROD, "eu-west-1", "production", "Cloud Platform", "Restricted", PCI_SOC2,
     "Legacy batch host (outside the MSP contract)"],
    ["EC2", f"arn:aws:ec2:eu-central-1:{PROD}:instance/i-0a1b2c3d4e5f60004", PROD, "eu-central-1",
     "production", "Cloud Platform", "Restricted", PCI_SOC2, "DR payment API node"],
    ["Amazon EBS", f"arn:aws:ec2:eu-west-1:{PROD}:volume/vol-0f1e2d3c4b5a60001", PROD, "eu-west-1",
     "production", "Cloud Platform", "Restricted", PCI_SOC2, "Encrypted, KMS CMK"],
    ["Amazon VPC", f"arn:aws:ec2:eu-west-1:{PROD}:vpc/vpc-0cde0001", PROD, "eu-west-1",
     "production", "Cloud Platform", "Restricted", ALL, "Cardholder data environment VPC"],
    ["AWS::EC2::SecurityGroup", "sg-0payments0001", PROD, "eu-west-1", "production",
     "Security", "Restricted", PCI_SOC2, "Payment API ingress"],
    ["Amazon RDS", f"arn:aws:rds:eu-west-1:{PROD}:db:payments-ledger", PROD, "eu-west-1",
     "production", "Payments Engineering", "Restricted", PCI_SOC2, "PostgreSQL, Multi-AZ"],
    ["AWS::RDS::DBInstance", "payments-ledger-replica", PROD, "eu-central-1", "production",
     "Payments Engineering", "Restricted", PCI_SOC2, "Cross-region read replica"],
    ["Amazon Relational Database Service", f"arn:aws:rds:eu-west-1:{DATA}:db:merchant-directory",
     DATA, "eu-west-1", "production", "Data Engineering", "Confidential", ALL, ""],
    ["Amazon S3", "arn:aws:s3:::harbourline-settlement-files", PROD, "eu-west-1", "production",
     "Payments Engineering", "Restricted", PCI_SOC2, "Settlement files, SSE-KMS"],
    ["S3", "arn:aws:s3:::harbourline-statements", PROD, "eu-west-1", "production",
     "Application Owner", "Confidential", ALL, "Merchant statements"],
    ["Simple Storage Service", "arn:aws:s3:::harbourline-cloudtrail-logs", SHARED, "eu-west-1",
     "shared", "Security", "Internal", ALL, "Organisation trail bucket"],
    ["AWS::S3::Bucket", "harbourline-data-lake-raw", DATA, "eu-west-1", "production",
     "Data Engineering", "Confidential", ISO_SOC2, "Raw zone"],
    ["Amazon DynamoDB", f"arn:aws:dynamodb:eu-west-1:{PROD}:table/tokens", PROD, "eu-west-1",
     "production", "Payments Engineering", "Restricted", PCI_SOC2, "Token vault index"],
    ["DynamoDB", f"arn:aws:dynamodb:eu-west-1:{PROD}:table/idempotency-keys", PROD, "eu-west-1",
     "production", "Payments Engineering", "Internal", PCI_SOC2, ""],
    ["Amazon S3 Glacier", f"arn:aws:glacier:eu-west-1:{DATA}:vaults/ledger-archive", DATA,
     "eu-west-1", "production", "Data Engineering", "Restricted", ALL, "7-year ledger archive"],
    ["Amazon SQS", f"arn:aws:sqs:eu-west-1:{PROD}:settlement-events", PROD, "eu-west-1",
     "production", "Payments Engineering", "Restricted", PCI_SOC2, ""],
    [f"arn:aws:sqs:eu-west-1:{PROD}:chargeback-events", "", "", "", "production",
     "Payments Engineering", "Confidential", PCI_SOC2, "ARN in the service column"],
    ["Amazon EMR", f"arn:aws:elasticmapreduce:eu-west-1:{DATA}:cluster/j-2AXXXXXXGAPLF", DATA,
     "eu-west-1", "production", "Data Engineering", "Confidential", ISO_SOC2, "Fraud model training"],
    ["Elastic MapReduce", f"arn:aws:elasticmapreduce:eu-west-1:{DATA}:cluster/j-3BYYYYYYHBQMG",
     DATA, "eu-west-1", "staging", "Data Engineering", "Internal", ISO_SOC2, ""],
    ["AWS Elastic Beanstalk", f"arn:aws:elasticbeanstalk:eu-west-1:{PROD}:environment/merchant-portal/prod",
     PROD, "eu-west-1", "production", "Application Owner", "Confidential", ALL, "Merchant portal"],
    ["AWS::ElasticBeanstalk::Environment", "merchant-portal-staging", DEV, "eu-west-1", "staging",
     "Application Owner", "Internal", NONE, "Not in any audit scope"],
    ["AWS Lambda", f"arn:aws:lambda:eu-west-1:{PROD}:function:tokenise-card", PROD, "eu-west-1",
     "production", "Payments Engineering", "Restricted", PCI_SOC2, "VPC-attached"],
    ["Lambda", f"arn:aws:lambda:eu-west-1:{PROD}:function:webhook-dispatch", PROD, "eu-west-1",
     "production", "Payments Engineering", "Confidential", ALL, ""],
    ["AWS KMS", f"arn:aws:kms:eu-west-1:{PROD}:key/1234abcd-12ab-34cd-56ef-1234567890ab", PROD,
     "eu-west-1", "production", "Security", "Restricted", ALL, "CMK for CDE data"],
    ["AWS Key Management Service", f"arn:aws:kms:eu-west-1:{DATA}:key/abcd1234-ab12-cd34-ef56-abcdef123456",
     DATA, "eu-west-1", "production", "Security", "Confidential", ALL, ""],
    ["AWS Identity and Access Management", f"arn:aws:iam::{PROD}:role/payments-api", PROD, "",
     "production", "Security", "Internal", ALL, ""],
    ["IAM", f"arn:aws:iam::{SHARED}:role/break-glass", SHARED, "", "shared", "Security",
     "Internal", ALL, "Break-glass role, MFA enforced"],
    ["AWS CloudTrail", f"arn:aws:cloudtrail:eu-west-1:{SHARED}:trail/org-trail", SHARED,
     "eu-west-1", "shared", "Security", "Internal", ALL, "Organisation trail"],
    ["Amazon CloudWatch", f"arn:aws:cloudwatch:eu-west-1:{PROD}:alarm:payments-5xx", PROD,
     "eu-west-1", "production", "Cloud Platform", "Internal", ALL, ""],
    ["CloudWatch Logs", f"arn:aws:logs:eu-west-1:{PROD}:log-group:/payments/api", PROD,
     "eu-west-1", "production", "Cloud Platform", "Restricted", PCI_SOC2, "1-year retention"],
    ["Elastic Load Balancing", f"arn:aws:elasticloadbalancing:eu-west-1:{PROD}:loadbalancer/app/payments/50dc6c495c0c9188",
     PROD, "eu-west-1", "production", "Cloud Platform", "Restricted", PCI_SOC2, "TLS 1.2+ policy"],
    ["Amazon CloudFront", f"arn:aws:cloudfront::{PROD}:distribution/E2QWRUHAPOMQZL", PROD, "",
     "production", "Cloud Platform", "Public", ALL, "Merchant portal CDN"],
    ["AWS WAF", f"arn:aws:wafv2:us-east-1:{PROD}:global/webacl/portal/a1b2c3d4", PROD,
     "us-east-1", "production", "Security", "Internal", ALL, ""],
    ["Amazon Route 53", "arn:aws:route53:::hostedzone/Z1D633PJN98FT9", SHARED, "", "shared",
     "Cloud Platform", "Public", ALL, "harbourline.example"],
    ["Amazon API Gateway", "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5", PROD,
     "eu-west-1", "production", "Payments Engineering", "Restricted", PCI_SOC2, "Partner API"],
    ["Amazon SNS", f"arn:aws:sns:eu-west-1:{PROD}:payment-alerts", PROD, "eu-west-1",
     "production", "Cloud Platform", "Internal", ALL, ""],
    ["AWS Secrets Manager", f"arn:aws:secretsmanager:eu-west-1:{PROD}:secret:ledger-db-AbCdEf",
     PROD, "eu-west-1", "production", "Security", "Restricted", PCI_SOC2, "Rotated every 30 days"],
    ["Amazon GuardDuty", f"arn:aws:guardduty:eu-west-1:{SHARED}:detector/12abc34d567e8fa901bc2d34e56789f0",
     SHARED, "eu-west-1", "shared", "Security", "Internal", ALL, "Delegated admin"],
    ["AWS Config", f"arn:aws:config:eu-west-1:{SHARED}:config-rule/config-rule-a1bcd2", SHARED,
     "eu-west-1", "shared", "Security", "Internal", ALL, "Conformance packs"],
    ["AWS Security Hub", f"arn:aws:securityhub:eu-west-1:{SHARED}:hub/default", SHARED,
     "eu-west-1", "shared", "Security", "Internal", ALL, ""],
    ["Amazon ElastiCache", f"arn:aws:elasticache:eu-west-1:{PROD}:cluster:sessions", PROD,
     "eu-west-1", "production", "Payments Engineering", "Confidential", PCI_SOC2, "Redis, in-transit TLS"],
    ["Amazon Cognito", f"arn:aws:cognito-idp:eu-west-1:{PROD}:userpool/eu-west-1_aBcDeFgHi", PROD,
     "eu-west-1", "production", "Application Owner", "Confidential", ALL, "Merchant logins"],
    ["Amazon ECS", f"arn:aws:ecs:eu-west-1:{PROD}:cluster/risk-scoring", PROD, "eu-west-1",
     "production", "Payments Engineering", "Restricted", PCI_SOC2, "Fargate tasks"],
    ["Amazon ECR", f"arn:aws:ecr:eu-west-1:{SHARED}:repository/risk-scoring", SHARED, "eu-west-1",
     "shared", "Cloud Platform", "Internal", ALL, "Image scanning on push"],
    ["AWS Backup", f"arn:aws:backup:eu-west-1:{SHARED}:backup-vault:central", SHARED, "eu-west-1",
     "shared", "Cloud Platform", "Restricted", ALL, "Cross-account vault"],
    ["Amazon Redshift", f"arn:aws:redshift:eu-west-1:{DATA}:cluster:finance-dw", DATA, "eu-west-1",
     "production", "Data Engineering", "Confidential", ISO_SOC2, "Finance warehouse"],
    ["AWS Glue", f"arn:aws:glue:eu-west-1:{DATA}:job/settlement-etl", DATA, "eu-west-1",
     "production", "Data Engineering", "Confidential", ISO_SOC2, ""],
    ["Amazon Athena", f"arn:aws:athena:eu-west-1:{DATA}:workgroup/analysts", DATA, "eu-west-1",
     "production", "Data Engineering", "Internal", ISO_SOC2, ""],
    ["AWS Systems Manager", f"arn:aws:ssm:eu-west-1:{PROD}:patchbaseline/pb-0123456789abcdef0",
     PROD, "eu-west-1", "production", "Cloud Platform", "Internal", ALL, "Patch Manager baseline"],
    ["AWS Certificate Manager", f"arn:aws:acm:eu-west-1:{PROD}:certificate/12345678-1234-1234-1234-123456789012",
     PROD, "eu-west-1", "production", "Security", "Internal", ALL, ""],
    ["AWS Organizations", f"arn:aws:organizations::{SHARED}:organization/o-a1b2c3d4e5", SHARED, "",
     "shared", "Security", "Internal", ALL, "SCPs"],
    ["AWS Step Functions", f"arn:aws:states:eu-west-1:{PROD}:stateMachine:refunds", PROD,
     "eu-west-1", "production", "Payments Engineering", "Confidential", PCI_SOC2, ""],
    ["Amazon EventBridge", f"arn:aws:events:eu-west-1:{PROD}:rule/settlement-schedule", PROD,
     "eu-west-1", "production", "Payments Engineering", "Internal", ALL, ""],
    # Development: out of every audit's scope
    ["Amazon EC2", f"arn:aws:ec2:eu-west-1:{DEV}:instance/i-0d0d0d0d0d0d00001", DEV, "eu-west-1",
     "development", "Cloud Platform", "Internal", NONE, "Developer sandbox"],
    ["Amazon S3", "arn:aws:s3:::harbourline-dev-scratch", DEV, "eu-west-1", "development",
     "Application Owner", "Internal", NONE, ""],
    # Rows a hand-kept sheet always has: a SaaS tool that is not an AWS service, a typo.
    ["Snowflake Data Cloud", "HARBOURLINE_ANALYTICS", DATA, "eu-west-1", "production",
     "Data Engineering", "Confidential", ISO_SOC2, "SaaS, not an AWS service"],
    ["Amazon Dynamo", f"arn:aws:dynamodb:us-east-1:{DATA}:table/merchant-risk", DATA, "us-east-1",
     "production", "Data Engineering", "Confidential", ISO_SOC2, "Typo kept on purpose"],
]  # fmt: skip


def build() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "AWS inventory"
    sheet.append(["Harbourline Payments Ltd: AWS service inventory"])
    sheet.append(["Maintained by Cloud Platform; exported 2026-11-02 for the annual audits"])
    sheet.append([])
    sheet.append(HEADERS)
    for row in ROWS:
        sheet.append(row)
    sheet["A1"].font = Font(bold=True, size=14)
    for cell in sheet[4]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="232F3E")
    for column, width in zip("ABCDEFGHI", (34, 70, 15, 13, 12, 22, 20, 18, 40), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=5, min_col=3, max_col=3):
        row[0].number_format = "@"
    sheet.freeze_panes = "A5"
    workbook.properties.creator = "Harbourline Cloud Platform"
    buffer = io.BytesIO()
    save_workbook(workbook, buffer, FIXED)
    return buffer.getvalue()


if __name__ == "__main__":
    OUT.write_bytes(build())
    print(f"wrote {OUT} ({len(ROWS)} rows)")
