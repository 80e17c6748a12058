variable "region" {
  description = "Region of the secret. It must be the rotation function's region too."
  type        = string
  default     = "us-east-1"
}

variable "rotation_lambda_arn" {
  description = "ARN of a deployed rotor function: the RotationLambdaARN output of `sam deploy`. Leave null when rotor_template_file is set (stack.tf)."
  type        = string
  default     = null
}

variable "secret_name" {
  description = "Name of the database secret to create."
  type        = string
}

variable "kms_key_id" {
  description = "Customer managed KMS key for the secret. Null means aws/secretsmanager. Pass the same key as kmsKeyArn to the rotor stack."
  type        = string
  default     = null
}

variable "rotation_schedule" {
  description = "Secrets Manager schedule expression: rate() or cron()."
  type        = string
  default     = "rate(30 days)"
}

# Initial secret value, in the JSON layout AWS's rotation functions use.
variable "db_engine" {
  description = "postgres, aurora-postgresql, mysql, aurora-mysql or mariadb."
  type        = string
  default     = "postgres"

  validation {
    condition     = contains(["postgres", "aurora-postgresql", "mysql", "aurora-mysql", "mariadb"], var.db_engine)
    error_message = "db_engine must be one of postgres, aurora-postgresql, mysql, aurora-mysql, mariadb."
  }
}

variable "db_host" {
  description = "Database endpoint host name."
  type        = string
}

variable "db_port" {
  description = "Database port (5432 for PostgreSQL, 3306 for MySQL/MariaDB)."
  type        = number
  default     = 5432
}

variable "db_name" {
  description = "Database to connect to."
  type        = string
  default     = "postgres"
}

variable "db_username" {
  description = "Database user whose password is rotated (the first of the two users with the multi-user rotators)."
  type        = string
}

variable "db_password" {
  description = "The user's current password. Rotation replaces it; Terraform writes it only once."
  type        = string
  sensitive   = true
}

variable "master_secret_arn" {
  description = "Superuser secret, stored as \"masterarn\" in the secret. Needed by the multi-user rotators only."
  type        = string
  default     = null
}

# Used by stack.tf only.
variable "rotor_template_file" {
  description = "Path of a packaged rotor template (`sam build && sam package --output-template-file packaged.yaml`). When set, stack.tf deploys it and its RotationLambdaARN is used."
  type        = string
  default     = null
}

variable "rotor_stack_parameters" {
  description = "Parameters of the rotor stack, e.g. { Rotator = \"postgres-single-user\", functionName = \"rotor-pg\" }."
  type        = map(string)
  default     = {}
}
