# Puts a database secret under rotation by a rotor function deployed with `sam deploy`
# (or by stack.tf). The function's ARN comes in through var.rotation_lambda_arn.

terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 7.0"
    }
  }
}

provider "aws" {
  region = var.region
}

data "aws_caller_identity" "current" {}

locals {
  rotation_lambda_arn = coalesce(var.rotation_lambda_arn, one(aws_cloudformation_stack.rotor[*].outputs["RotationLambdaARN"]), "unset")
}

resource "aws_secretsmanager_secret" "db" {
  name        = var.secret_name
  description = "Credentials of ${var.db_username} on ${var.db_host}, rotated by rotor."
  kms_key_id  = var.kms_key_id
}

# The first value. Rotation writes every later version itself, so Terraform must not
# write the password back: its changes are ignored.
resource "aws_secretsmanager_secret_version" "initial" {
  secret_id = aws_secretsmanager_secret.db.id
  secret_string = jsonencode(merge(
    {
      engine   = var.db_engine
      host     = var.db_host
      port     = var.db_port
      username = var.db_username
      password = var.db_password
      dbname   = var.db_name
    },
    var.master_secret_arn == null ? {} : { masterarn = var.master_secret_arn },
  ))

  lifecycle {
    ignore_changes = [secret_string]
  }
}

# Lets Secrets Manager invoke the function for this secret only, from this account only.
resource "aws_lambda_permission" "secretsmanager" {
  statement_id_prefix = "SecretsManagerRotation"
  action              = "lambda:InvokeFunction"
  function_name       = local.rotation_lambda_arn
  principal           = "secretsmanager.amazonaws.com"
  source_account      = data.aws_caller_identity.current.account_id
  source_arn          = aws_secretsmanager_secret.db.arn

  lifecycle {
    precondition {
      condition     = local.rotation_lambda_arn != "unset"
      error_message = "Set rotation_lambda_arn (the RotationLambdaARN output of sam deploy) or rotor_template_file."
    }
  }
}

resource "aws_secretsmanager_secret_rotation" "db" {
  secret_id           = aws_secretsmanager_secret.db.id
  rotation_lambda_arn = local.rotation_lambda_arn

  rotation_rules {
    schedule_expression = var.rotation_schedule
  }

  # The function must be allowed to run, and the first value must exist, before the
  # first rotation starts (rotate_immediately defaults to true).
  depends_on = [
    aws_lambda_permission.secretsmanager,
    aws_secretsmanager_secret_version.initial,
  ]
}
