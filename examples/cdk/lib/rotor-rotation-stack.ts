// A rotor rotation function deployed from its built zip, attached to a secret with
// addRotationSchedule (which also grants Secrets Manager the invoke permission and scopes the
// function's Secrets Manager permissions to that secret), and an alarm on the function's errors.
import * as path from "node:path";
import { Aws, CfnOutput, Duration, Stack, StackProps } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sns from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";

export interface RotorRotationStackProps extends StackProps {
  /** The function's deployment package (a zip holding `bootstrap`). */
  readonly functionZip: string;
  /** Which rotor function the zip holds, e.g. `postgres-single-user`. */
  readonly rotator: string;
  /** The zip's instruction set. */
  readonly architecture: lambda.Architecture;
  /** An existing secret to rotate; without it the stack creates an example secret. */
  readonly secretArn?: string;
  /** Subscribed to the failure alarm's topic. */
  readonly alarmEmail?: string;
}

export class RotorRotationStack extends Stack {
  constructor(scope: Construct, id: string, props: RotorRotationStackProps) {
    super(scope, id, props);

    const fn = new lambda.Function(this, "RotationFunction", {
      description: `rotor ${props.rotator} rotation function`,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: props.architecture,
      handler: "bootstrap",
      code: lambda.Code.fromAsset(path.resolve(props.functionZip)),
      memorySize: 128,
      timeout: Duration.seconds(30),
      environment: {
        // As AWS's functions read it; a VPC endpoint's URL goes here too.
        SECRETS_MANAGER_ENDPOINT: `https://secretsmanager.${Aws.REGION}.${Aws.URL_SUFFIX}`,
        // Passwords are generated in the function (no GetRandomPassword call).
        ROTOR_PASSWORD_SOURCE: "local",
      },
    });

    const secret = props.secretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, "Secret", props.secretArn)
      : new secretsmanager.Secret(this, "Secret", {
          description: "Example credentials rotated by rotor",
          generateSecretString: {
            secretStringTemplate: JSON.stringify({
              engine: "postgres",
              host: "orders.example.internal",
              port: 5432,
              username: "orders_app",
              dbname: "orders",
            }),
            generateStringKey: "password",
            excludeCharacters: ":/@\"'\\",
          },
        });

    // Grants secretsmanager.amazonaws.com lambda:InvokeFunction on the function and the function
    // the four Secrets Manager actions on this secret only.
    secret.addRotationSchedule("Rotation", {
      rotationLambda: fn,
      automaticallyAfter: Duration.days(30),
    });

    const topic = new sns.Topic(this, "RotationFailures", { displayName: "rotor rotation failures" });
    if (props.alarmEmail) {
      topic.addSubscription(new EmailSubscription(props.alarmEmail));
    }
    const errors = fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM });
    const alarm = errors.createAlarm(this, "RotationErrors", {
      alarmDescription: `The rotor ${props.rotator} rotation function returned an error`,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(topic));

    new CfnOutput(this, "RotationLambdaARN", { value: fn.functionArn });
    new CfnOutput(this, "RotationLambdaRoleARN", { value: fn.role!.roleArn });
  }
}
