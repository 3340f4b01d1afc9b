"""moto_server with IAM enforced on presigned S3 URLs too.

moto 5.2.5 authorizes only requests signed in the Authorization header: a presigned URL (SigV4 in the
query string) makes it answer 500 (KeyError 'HTTP_AUTHORIZATION') once enforcement is on. Here such a
request is authorized as its signer: the action is checked against the principal named by
X-Amz-Credential, as AWS does. The signature itself is not recomputed (moto rebuilds only header
signatures), so a tampered presigned URL is let through locally; the SDK that signs it is tested
against AWS's own presigning rules elsewhere.

DynamoDB calls are also serialized: moto serves requests on threads and does not lock its tables,
so two concurrent conditional writes on one item can both pass their condition, which DynamoDB
never allows. Forgeflow's exactly-once claims (a step queued once, a lease taken once) rest on that
atomicity, and their tests race two writers on purpose. Other services (SQS long polls) stay
concurrent.

Usage: python scripts/moto_server.py -H 127.0.0.1 -p PORT (the arguments of moto_server).
"""

import threading

import sys
from urllib.parse import parse_qs, urlparse

from moto.core import authorization
from moto.core.authorization import ActionAuthenticatorMixin
from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_authorize = ActionAuthenticatorMixin._authenticate_and_authorize_action


def _authorize_presigned(self, iam_request_cls, resource="*"):
    query = parse_qs(urlparse(self.uri).query)
    credential = query.get("X-Amz-Credential", [None])[0]
    if "Authorization" in self.headers or credential is None:
        return _authorize(self, iam_request_cls, resource)
    if ActionAuthenticatorMixin.request_count < authorization.settings.INITIAL_NO_AUTH_ACTION_COUNT:
        ActionAuthenticatorMixin.request_count += 1
        return
    headers = dict(self.headers)
    headers["Authorization"] = f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature=-"
    token = query.get("X-Amz-Security-Token", [None])[0]
    if token is not None:
        headers["X-Amz-Security-Token"] = token
    request = iam_request_cls(
        account_id=self.current_account,
        method=self.method,
        path=self.raw_path,
        data=self.data,
        body=self.raw_body,
        headers=headers,
        action=self._get_action(),
    )
    request.check_action_permitted(resource)


ActionAuthenticatorMixin._authenticate_and_authorize_action = _authorize_presigned

_dynamodb = threading.Lock()
_call_dynamodb = DynamoHandler.call_action


def _call_dynamodb_atomically(self):
    with _dynamodb:
        return _call_dynamodb(self)


DynamoHandler.call_action = _call_dynamodb_atomically

if __name__ == "__main__":
    sys.exit(main())
