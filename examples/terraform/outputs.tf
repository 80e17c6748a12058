output "secret_arn" {
  description = "ARN of the rotated secret."
  value       = aws_secretsmanager_secret.db.arn
}

output "rotation_lambda_arn" {
  description = "Rotation function the secret uses."
  value       = aws_secretsmanager_secret_rotation.db.rotation_lambda_arn
}
