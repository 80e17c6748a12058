# Optional: deploy the rotor SAM template from Terraform instead of `sam deploy`.
# The template must be packaged first, so that its CodeUri points at S3:
#   sam build && sam package --s3-bucket BUCKET --output-template-file packaged.yaml
# then set rotor_template_file = "packaged.yaml" and rotor_stack_parameters.
resource "aws_cloudformation_stack" "rotor" {
  count = var.rotor_template_file == null ? 0 : 1

  name          = "rotor-${lookup(var.rotor_stack_parameters, "functionName", "rotation")}"
  template_body = file(var.rotor_template_file)
  capabilities  = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
  parameters    = var.rotor_stack_parameters
}
