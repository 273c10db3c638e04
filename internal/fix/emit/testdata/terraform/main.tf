# Written by rootwatch fix --emit terraform: the plan's changes as Terraform
# configuration for the AWS provider. Nothing has been applied.
#
# One configuration with one provider alias per account and region, rather
# than a module per account: a reviewer reads every change, with the account
# and region it is made in, top to bottom in one file and one terraform plan;
# each provider reaches its account the way rootwatch fix does (assume_role
# into the same role; allowed_account_ids stops a wrong profile), and a step
# made from the management account on behalf of a member uses the
# management account's provider. Resource names are NAME_ACCOUNT_REGION.
#
# Calls no resource can make are listed at the end, as comments: apply them
# with rootwatch fix --apply or by hand.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80.0"
    }
  }
}

provider "aws" {
  alias               = "a222222222222_us_east_1"
  region              = "us-east-1"
  allowed_account_ids = ["222222222222"]
  assume_role {
    role_arn = "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"
  }
}

provider "aws" {
  alias               = "a333333333333_us_east_1"
  region              = "us-east-1"
  allowed_account_ids = ["333333333333"]
  assume_role {
    role_arn = "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"
  }
}

provider "aws" {
  alias               = "a111111111111_us_east_1"
  region              = "us-east-1"
  allowed_account_ids = ["111111111111"]
}

# step alarm/222222222222/us-east-1/topic:rootwatch-root-activity (alarm), account 222222222222
# why: the topic
resource "aws_sns_topic" "rootwatch_root_activity_222222222222_us_east_1" {
  provider = aws.a222222222222_us_east_1
  name     = "rootwatch-root-activity"
}
resource "aws_sns_topic_policy" "rootwatch_root_activity_222222222222_us_east_1" {
  provider = aws.a222222222222_us_east_1
  arn      = aws_sns_topic.rootwatch_root_activity_222222222222_us_east_1.arn
  policy = jsonencode({
    "Id" = "__default_policy_ID"
    "Statement" = [{
      "Action" = ["SNS:Publish", "SNS:Subscribe"]
      "Condition" = {
        "StringEquals" = {
          "AWS:SourceOwner" = "222222222222"
        }
      }
      "Effect" = "Allow"
      "Principal" = {
        "AWS" = "*"
      }
      "Resource" = aws_sns_topic.rootwatch_root_activity_222222222222_us_east_1.arn
      "Sid"      = "__default_statement_ID"
      }, {
      "Action" = "sns:Publish"
      "Effect" = "Allow"
      "Principal" = {
        "Service" = "events.amazonaws.com"
      }
      "Resource" = aws_sns_topic.rootwatch_root_activity_222222222222_us_east_1.arn
      "Sid"      = "RootwatchEventBridgePublish"
    }]
    "Version" = "2008-10-17"
  })
}
resource "aws_sns_topic_subscription" "rootwatch_root_activity_email_222222222222_us_east_1" {
  provider  = aws.a222222222222_us_east_1
  endpoint  = "sec@example.com"
  protocol  = "email"
  topic_arn = aws_sns_topic.rootwatch_root_activity_222222222222_us_east_1.arn
}

# step alarm/222222222222/us-east-1/metric-filter:ct/rootwatch-root-usage (alarm), account 222222222222
# why: the filter
resource "aws_cloudwatch_log_metric_filter" "rootwatch_root_usage_222222222222_us_east_1" {
  provider       = aws.a222222222222_us_east_1
  name           = "rootwatch-root-usage"
  pattern        = "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\" }"
  log_group_name = "ct"
  metric_transformation {
    name      = "RootAccountUsageCount"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

# step alarm/222222222222/us-east-1/alarm:rootwatch-root-usage (alarm), account 222222222222
# why: the alarm
resource "aws_cloudwatch_metric_alarm" "rootwatch_root_usage_222222222222_us_east_1" {
  provider            = aws.a222222222222_us_east_1
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.rootwatch_root_activity_222222222222_us_east_1.arn]
  alarm_description   = "rootwatch: the root user was used"
  alarm_name          = "rootwatch-root-usage"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  datapoints_to_alarm = 1
  evaluation_periods  = 1
  metric_name         = "RootAccountUsageCount"
  namespace           = "CISBenchmark"
  period              = 300
  statistic           = "Sum"
  threshold           = 1
  treat_missing_data  = "notBreaching"
}

# step alarm/222222222222/us-east-1/rule:rootwatch-root-activity (alarm), account 222222222222
# why: the rule
resource "aws_cloudwatch_event_rule" "rootwatch_root_activity_222222222222_us_east_1" {
  provider    = aws.a222222222222_us_east_1
  description = "rootwatch: root activity"
  name        = "rootwatch-root-activity"
  state       = "ENABLED"
  event_pattern = jsonencode({
    "detail" = {
      "userIdentity" = {
        "type" = ["Root"]
      }
    }
    "detail-type" = ["AWS Console Sign In via CloudTrail", "AWS API Call via CloudTrail"]
  })
}
resource "aws_cloudwatch_event_target" "rootwatch_root_activity_rootwatch_root_activity_topic_222222222222_us_east_1" {
  provider  = aws.a222222222222_us_east_1
  rule      = aws_cloudwatch_event_rule.rootwatch_root_activity_222222222222_us_east_1.name
  arn       = aws_sns_topic.rootwatch_root_activity_222222222222_us_east_1.arn
  target_id = "rootwatch-root-activity-topic"
}

# step alarm/333333333333/us-east-1/topic:rootwatch-root-activity (alarm), account 333333333333
# why: the topic
resource "aws_sns_topic" "rootwatch_root_activity_333333333333_us_east_1" {
  provider = aws.a333333333333_us_east_1
  name     = "rootwatch-root-activity"
}
resource "aws_sns_topic_policy" "rootwatch_root_activity_333333333333_us_east_1" {
  provider = aws.a333333333333_us_east_1
  arn      = aws_sns_topic.rootwatch_root_activity_333333333333_us_east_1.arn
  policy = jsonencode({
    "Id" = "__default_policy_ID"
    "Statement" = [{
      "Action" = ["SNS:Publish", "SNS:Subscribe"]
      "Condition" = {
        "StringEquals" = {
          "AWS:SourceOwner" = "333333333333"
        }
      }
      "Effect" = "Allow"
      "Principal" = {
        "AWS" = "*"
      }
      "Resource" = aws_sns_topic.rootwatch_root_activity_333333333333_us_east_1.arn
      "Sid"      = "__default_statement_ID"
      }, {
      "Action" = "sns:Publish"
      "Effect" = "Allow"
      "Principal" = {
        "Service" = "events.amazonaws.com"
      }
      "Resource" = aws_sns_topic.rootwatch_root_activity_333333333333_us_east_1.arn
      "Sid"      = "RootwatchEventBridgePublish"
    }]
    "Version" = "2008-10-17"
  })
}
resource "aws_sns_topic_subscription" "rootwatch_root_activity_email_333333333333_us_east_1" {
  provider  = aws.a333333333333_us_east_1
  endpoint  = "sec@example.com"
  protocol  = "email"
  topic_arn = aws_sns_topic.rootwatch_root_activity_333333333333_us_east_1.arn
}

# step alarm/333333333333/us-east-1/metric-filter:trail-logs/rootwatch-root-usage (alarm), account 333333333333
# why: the filter
resource "aws_cloudwatch_log_metric_filter" "rootwatch_root_usage_333333333333_us_east_1" {
  provider       = aws.a333333333333_us_east_1
  name           = "rootwatch-root-usage"
  pattern        = "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\" }"
  log_group_name = "trail-logs"
  metric_transformation {
    name      = "RootAccountUsageCount"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

# step alarm/333333333333/us-east-1/alarm:rootwatch-root-usage (alarm), account 333333333333
# why: the alarm
resource "aws_cloudwatch_metric_alarm" "rootwatch_root_usage_333333333333_us_east_1" {
  provider            = aws.a333333333333_us_east_1
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.rootwatch_root_activity_333333333333_us_east_1.arn]
  alarm_description   = "rootwatch: the root user was used"
  alarm_name          = "rootwatch-root-usage"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  datapoints_to_alarm = 1
  evaluation_periods  = 1
  metric_name         = "RootAccountUsageCount"
  namespace           = "CISBenchmark"
  period              = 300
  statistic           = "Sum"
  threshold           = 1
  treat_missing_data  = "notBreaching"
}

# step alarm/333333333333/us-east-1/rule:rootwatch-root-activity (alarm), account 333333333333
# why: the rule
resource "aws_cloudwatch_event_rule" "rootwatch_root_activity_333333333333_us_east_1" {
  provider    = aws.a333333333333_us_east_1
  description = "rootwatch: root activity"
  name        = "rootwatch-root-activity"
  state       = "ENABLED"
  event_pattern = jsonencode({
    "detail" = {
      "userIdentity" = {
        "type" = ["Root"]
      }
    }
    "detail-type" = ["AWS Console Sign In via CloudTrail", "AWS API Call via CloudTrail"]
  })
}
resource "aws_cloudwatch_event_target" "rootwatch_root_activity_rootwatch_root_activity_topic_333333333333_us_east_1" {
  provider  = aws.a333333333333_us_east_1
  rule      = aws_cloudwatch_event_rule.rootwatch_root_activity_333333333333_us_east_1.name
  arn       = aws_sns_topic.rootwatch_root_activity_333333333333_us_east_1.arn
  target_id = "rootwatch-root-activity-topic"
}

# step scp/111111111111/r-ab12 (scp), account 111111111111
# why: no guardrail
# NOT EXPRESSIBLE: organizations:EnablePolicyType: the policy types of an organization's root are aws_organizations_organization's enabled_policy_types, the whole organization's resource: not safe to emit (set in a configuration that does not hold the rest, it would take the rest away); enable SERVICE_CONTROL_POLICY on r-ab12 before applying (aws organizations enable-policy-type, or rootwatch fix --apply)
resource "aws_organizations_policy" "rootwatch_deny_root_111111111111_us_east_1" {
  provider    = aws.a111111111111_us_east_1
  description = "deny root"
  name        = "rootwatch-deny-root"
  type        = "SERVICE_CONTROL_POLICY"
  content = jsonencode({
    "Statement" = [{
      "Action" = "*"
      "Condition" = {
        "ArnLike" = {
          "aws:PrincipalArn" = "arn:aws:iam::*:root"
        }
        "Null" = {
          "aws:AssumedRoot" = "true"
        }
      }
      "Effect"   = "Deny"
      "Resource" = "*"
      "Sid"      = "DenyRoot"
    }]
    "Version" = "2012-10-17"
  })
}
resource "aws_organizations_policy_attachment" "attach_222222222222_111111111111_us_east_1" {
  provider  = aws.a111111111111_us_east_1
  policy_id = aws_organizations_policy.rootwatch_deny_root_111111111111_us_east_1.id
  target_id = "222222222222"
}

# step root-access/111111111111/organization (root-access), account 111111111111
# why: off
# NOT EXPRESSIBLE: organizations:EnableAWSServiceAccess: trusted access is aws_organizations_organization's aws_service_access_principals, the whole organization's resource: not safe to emit (set in a configuration that does not hold the rest, it would take the rest away); enable it for iam.amazonaws.com before applying (aws organizations enable-aws-service-access, or rootwatch fix --apply)
resource "aws_iam_organizations_features" "root_access_111111111111_us_east_1" {
  provider         = aws.a111111111111_us_east_1
  enabled_features = ["RootCredentialsManagement", "RootSessions"]
}

# step contacts/222222222222/SECURITY (contacts), account 222222222222
# why: none
resource "aws_account_alternate_contact" "security_222222222222_111111111111_us_east_1" {
  provider               = aws.a111111111111_us_east_1
  account_id             = "222222222222"
  alternate_contact_type = "SECURITY"
  email_address          = "sec@example.com"
  name                   = "Security"
  phone_number           = "+1 555 0100"
  title                  = "CISO"
}

# step budget/111111111111/daily (budget), account 111111111111
# why: none
resource "aws_budgets_budget" "rootwatch_daily_111111111111_us_east_1" {
  provider     = aws.a111111111111_us_east_1
  account_id   = "111111111111"
  budget_type  = "COST"
  limit_amount = "10"
  limit_unit   = "USD"
  name         = "rootwatch-daily"
  time_unit    = "DAILY"
  notification {
    comparison_operator        = "GREATER_THAN"
    notification_type          = "ACTUAL"
    subscriber_email_addresses = ["a@example.com"]
    subscriber_sns_topic_arns  = ["arn:aws:sns:us-east-1:111111111111:budget"]
    threshold                  = 100
    threshold_type             = "PERCENTAGE"
  }
}

# NOT EXPRESSIBLE in Terraform, or blocked: apply with rootwatch fix --apply or by hand
# - account 111111111111 us-east-1: scp/111111111111/r-ab12 organizations:EnablePolicyType: the policy types of an organization's root are aws_organizations_organization's enabled_policy_types, the whole organization's resource: not safe to emit (set in a configuration that does not hold the rest, it would take the rest away); enable SERVICE_CONTROL_POLICY on r-ab12 before applying (aws organizations enable-policy-type, or rootwatch fix --apply)
# - account 111111111111 us-east-1: root-access/111111111111/organization organizations:EnableAWSServiceAccess: trusted access is aws_organizations_organization's aws_service_access_principals, the whole organization's resource: not safe to emit (set in a configuration that does not hold the rest, it would take the rest away); enable it for iam.amazonaws.com before applying (aws organizations enable-aws-service-access, or rootwatch fix --apply)
# - account 222222222222 us-east-1: root-access/222222222222/root-credentials iam:DeleteLoginProfile: made as the member account's root in an sts:AssumeRoot session (IAMDeleteRootUserCredentials): no resource deletes root credentials; apply it with rootwatch fix --apply --only root-access
# - account 333333333333: alarm/333333333333/trail: blocked: no trail: fix does not create trails
