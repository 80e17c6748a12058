"""moto's server, with RotateSecret as Secrets Manager documents it and rotation functions
that run outside moto.

    python lambda_bridge.py --invoke-url http://127.0.0.1:PORT/invoke [-H HOST] [-p PORT]

moto implements RotateSecret by invoking a function of its own Lambda backend, which needs
Docker, and it departs from the service in ways a test of "rotate through the deployed
function" must not inherit (see moto/secretsmanager/models.py, `rotate_secret`, moto 5.2):

1. Without RotationLambdaARN it clears the configured function (`rotation_lambda_arn or ""`)
   and then, with no function, just moves AWSCURRENT to a copy of the value. The service
   rotates with the function already configured, and answers InvalidRequestException when
   there is none.
2. It runs all four steps synchronously inside the call, ignores their failures, and then
   moves the default version itself. The service answers once the AWSPENDING version exists
   and runs the steps asynchronously; a failed step stops the rotation, leaving AWSPENDING on
   the empty version (the function's finishSecret is what moves AWSCURRENT).
3. With RotateImmediately=false it copies AWSCURRENT's value into the AWSPENDING version and
   leaves that version behind. The service runs only testSecret, on an AWSPENDING test version
   (empty: rotor's functions then test the configuration against AWSCURRENT), and removes the
   version afterwards.
4. Its "rotation in progress" check is inverted: it refuses when AWSPENDING is on the
   AWSCURRENT version (what every completed rotation leaves) and accepts a stuck AWSPENDING.

This file starts moto's server in-process with `SecretsManagerBackend.rotate_secret` replaced
by a version that follows the service on all four points. Every invocation of a rotation
function is forwarded to `--invoke-url` instead of moto's Lambda backend: one POST per step
with `{"FunctionArn": ..., "Payload": <the event>}`, answered `{"error": null}` or
`{"error": {"errorType": ..., "errorMessage": ...}}`. The test behind that URL runs the real
function (a `bootstrap` behind a local Lambda Runtime API) and decides which function ARNs
exist; no moto Lambda function (and so no IAM role) is needed.

What is modelled, and what is not:
- Rotations run one at a time, in the order RotateSecret accepted them, on one worker thread
  (a single warm function serves them). The service would run them concurrently.
- A failed rotation is not retried (the service retries later); its AWSPENDING stays.
- With RotateImmediately=false the test runs before RotateSecret answers, and a failed test is
  answered as InvalidRequestException naming the function's error. The API reference does not
  say whether the service reports a failed configuration test in the call; this is the
  assumption rotor's CLI is tested against (it also treats a test version still there after
  its wait as a failure). A completed rotation's AWSPENDING on the AWSCURRENT version, taken
  off while the test version exists, is put back, so a passing test changes no label.
- The ClientRequestToken of a version that already exists makes RotateSecret a no-op that
  answers that version (the service's idempotency for retried calls).

Test controls, next to moto's own `/moto-api/`:
- `POST /rotor-bridge/configure` `{"SecretId", "FunctionArn"}`: rotation configured and turned
  on (RotationLambdaARN, RotationEnabled, 30 days) without rotating or testing, as the secret
  would look after its rotation was set up earlier.
- `POST /rotor-bridge/throttle` `{"NamePrefix", "Calls"}`: the first `Calls` RotateSecret calls
  for each secret whose name starts with `NamePrefix` are answered ThrottlingException, before
  anything changes.
- `GET /rotor-bridge/stats`: counters (RotateSecret calls, throttled answers, invocations,
  rotations started, completed and failed, tests passed and failed).

The process exits when its parent does (the parent id changes), so a test process killed
outright leaves no server behind.
"""

import argparse
import json
import os
import queue
import sys
import threading
import time
import urllib.request
import uuid

from moto.core.exceptions import JsonRESTError
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.secretsmanager import models
from moto.secretsmanager.exceptions import (
    InvalidParameterException,
    InvalidRequestException,
    OperationNotPermittedOnReplica,
    SecretNotFoundException,
)
from werkzeug.serving import run_simple

PENDING = "AWSPENDING"
CURRENT = "AWSCURRENT"
STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"]


class ThrottlingException(JsonRESTError):
    """What the service answers when a caller exceeds its request rate."""

    code = 400

    def __init__(self) -> None:
        super().__init__("ThrottlingException", "Rate exceeded")


class Bridge:
    """The forwarding of invocations, the rotation worker, the controls and the counters."""

    def __init__(self, invoke_url: str) -> None:
        self.invoke_url = invoke_url
        self.lock = threading.Lock()
        self.rotations: "queue.Queue[tuple]" = queue.Queue()
        self.throttles: list[tuple[str, int]] = []
        self.calls_by_secret: dict[str, int] = {}
        self.stats = {
            "RotateSecretCalls": 0,
            "Throttled": 0,
            "Invocations": 0,
            "RotationsStarted": 0,
            "RotationsCompleted": 0,
            "RotationsFailed": 0,
            "TestsPassed": 0,
            "TestsFailed": 0,
        }
        threading.Thread(target=self.work, name="rotations", daemon=True).start()

    def count(self, name: str) -> None:
        with self.lock:
            self.stats[name] += 1

    def should_throttle(self, secret_name: str) -> bool:
        with self.lock:
            self.stats["RotateSecretCalls"] += 1
            calls = self.calls_by_secret.get(secret_name, 0) + 1
            self.calls_by_secret[secret_name] = calls
            limit = max(
                (count for prefix, count in self.throttles if secret_name.startswith(prefix)),
                default=0,
            )
            if calls <= limit:
                self.stats["Throttled"] += 1
                return True
            return False

    def invoke(self, function_arn: str, secret_arn: str, token: str, step: str) -> dict | None:
        """One step, as the service sends it; the function's error, or None."""
        self.count("Invocations")
        event = {
            "Step": step,
            "SecretId": secret_arn,
            "ClientRequestToken": token,
            "RotationToken": str(uuid.uuid4()),
        }
        body = json.dumps({"FunctionArn": function_arn, "Payload": event}).encode()
        request = urllib.request.Request(
            self.invoke_url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                answer = json.loads(response.read() or b"{}")
        except Exception as error:  # the invoker is gone or broken: the invocation failed
            return {"errorType": "InvocationFailed", "errorMessage": str(error)}
        return answer.get("error")

    def work(self) -> None:
        while True:
            function_arn, secret, token = self.rotations.get()
            failed = None
            for step in STEPS:
                failed = self.invoke(function_arn, secret.arn, token, step)
                if failed:
                    break
            if failed:
                self.count("RotationsFailed")
            else:
                secret.last_rotation_date = int(time.time())
                self.count("RotationsCompleted")


BRIDGE: Bridge | None = None


def rotate_secret(
    self,
    secret_id: str,
    client_request_token: str | None = None,
    rotation_lambda_arn: str | None = None,
    rotation_rules: dict | None = None,
    rotate_immediately: bool = True,
) -> str:
    """RotateSecret as the service documents it (see the module's docstring)."""
    if not self._is_valid_identifier(secret_id):
        raise SecretNotFoundException()
    secret = self.secrets[secret_id]
    if isinstance(secret, models.ReplicaSecret):
        raise OperationNotPermittedOnReplica
    if secret.is_deleted():
        raise InvalidRequestException(
            "You tried to perform the operation on a secret that's currently marked deleted."
        )
    if BRIDGE.should_throttle(secret.name):
        raise ThrottlingException()
    if rotation_lambda_arn and len(rotation_lambda_arn) > 2048:
        raise InvalidParameterException("RotationLambdaARN must <= 2048 characters long.")
    function_arn = rotation_lambda_arn or secret.rotation_lambda_arn
    if not function_arn:
        raise InvalidRequestException("No Lambda rotation function ARN is associated with this secret.")
    if client_request_token:
        self._client_request_token_validator(client_request_token)
        if client_request_token in secret.versions:
            return secret.to_short_dict(version_id=client_request_token)
    for version in secret.versions.values():
        stages = version["version_stages"]
        if PENDING in stages and CURRENT not in stages:
            raise InvalidRequestException(
                "A previous rotation isn't complete. That rotation will be reattempted."
            )
    token = client_request_token or str(uuid.uuid4())

    if rotation_rules and "AutomaticallyAfterDays" in rotation_rules:
        days = int(rotation_rules["AutomaticallyAfterDays"])
        if days < 1 or days > 1000:
            raise InvalidParameterException("RotationRules.AutomaticallyAfterDays must be within 1-1000.")
        secret.auto_rotate_after_days = days
        secret.next_rotation_date = int(time.time()) + days * 86400
    secret.rotation_requested = True
    secret.rotation_enabled = True
    secret.rotation_lambda_arn = function_arn

    # The new (or test) version has no value until createSecret stores one.
    held_pending = [
        version_id for version_id, version in secret.versions.items() if PENDING in version["version_stages"]
    ]
    secret.remove_version_stages_from_old_versions([PENDING])
    secret.versions[token] = {
        "createdate": int(time.time()),
        "version_id": token,
        "version_stages": [PENDING],
    }
    if rotate_immediately:
        BRIDGE.count("RotationsStarted")
        BRIDGE.rotations.put((function_arn, secret, token))
        return secret.to_short_dict(version_id=token)

    failed = BRIDGE.invoke(function_arn, secret.arn, token, "testSecret")
    secret.versions.pop(token, None)
    for version_id in held_pending:
        if version_id in secret.versions:
            secret.versions[version_id]["version_stages"].append(PENDING)
    if failed:
        BRIDGE.count("TestsFailed")
        raise InvalidRequestException(
            f"The rotation function's testSecret failed: {failed.get('errorType')}: {failed.get('errorMessage')}"
        )
    BRIDGE.count("TestsPassed")
    return secret.to_short_dict()


def configure(body: dict) -> tuple[int, dict]:
    """`POST /rotor-bridge/configure`: rotation set up, nothing run."""
    from moto.core import DEFAULT_ACCOUNT_ID

    backend = models.secretsmanager_backends[DEFAULT_ACCOUNT_ID][body.get("Region", "us-east-1")]
    secret_id = body["SecretId"]
    if not backend._is_valid_identifier(secret_id):
        return 404, {"error": f"no secret {secret_id}"}
    secret = backend.secrets[secret_id]
    secret.rotation_requested = True
    secret.rotation_enabled = True
    secret.rotation_lambda_arn = body["FunctionArn"]
    secret.auto_rotate_after_days = 30
    return 200, {"ARN": secret.arn}


def controls(app):
    """A WSGI layer serving `/rotor-bridge/...` and passing everything else to moto."""

    def serve(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/rotor-bridge/"):
            return app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
        if path == "/rotor-bridge/stats":
            with BRIDGE.lock:
                status, answer = 200, dict(BRIDGE.stats)
        elif path == "/rotor-bridge/throttle":
            with BRIDGE.lock:
                BRIDGE.throttles.append((body.get("NamePrefix", ""), int(body.get("Calls", 1))))
            status, answer = 200, {}
        elif path == "/rotor-bridge/configure":
            status, answer = configure(body)
        else:
            status, answer = 404, {"error": f"unknown control {path}"}
        payload = json.dumps(answer).encode()
        start_response(
            f"{status} {'OK' if status == 200 else 'Error'}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    return serve


def exit_with_parent() -> None:
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)


def main() -> None:
    global BRIDGE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoke-url", required=True)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    BRIDGE = Bridge(args.invoke_url)
    models.SecretsManagerBackend.rotate_secret = rotate_secret
    threading.Thread(target=exit_with_parent, name="watchdog", daemon=True).start()
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True
    print(f"lambda bridge: moto on {args.host}:{args.port}, invocations to {args.invoke_url}", flush=True)
    run_simple(args.host, args.port, controls(app), threaded=True)


if __name__ == "__main__":
    sys.exit(main())
