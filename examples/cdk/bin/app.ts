#!/usr/bin/env node
// The CDK app: one stack with a rotor rotation function and the secret it rotates.
//
// Context (cdk.json, or -c key=value):
//   functionZip   the function's deployment package; scripts/build-lambdas writes
//                 target/lambda/<arch>/<rotator>/bootstrap.zip, scripts/release writes
//                 target/release-artefacts/<rotator>-<arch>.zip
//   rotator       hmac-key, postgres-single-user, postgres-multi-user, mysql-single-user, mysql-multi-user
//   architecture  arm64 or x86_64 (must match the zip)
//   secretArn     rotate this existing secret instead of creating one
//   alarmEmail    subscribe this address to the failure alarm's topic
import { App } from "aws-cdk-lib";
import { Architecture } from "aws-cdk-lib/aws-lambda";
import { RotorRotationStack } from "../lib/rotor-rotation-stack";

const app = new App();
const context = (key: string): string | undefined => app.node.tryGetContext(key);

const architecture = context("architecture") === "x86_64" ? Architecture.X86_64 : Architecture.ARM_64;
const functionZip = context("functionZip");
if (!functionZip) {
  throw new Error("set the functionZip context to the rotor function's bootstrap.zip");
}

new RotorRotationStack(app, "RotorRotation", {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  functionZip,
  rotator: context("rotator") ?? "postgres-single-user",
  architecture,
  secretArn: context("secretArn"),
  alarmEmail: context("alarmEmail"),
});
