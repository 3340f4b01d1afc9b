"""moto_server with IAM enforced on presigned S3 URLs too.

moto 5.2.5 authorizes only requests signed in the Authorization header: a presigned URL (SigV4 in the
query string) makes it answer 500 (KeyError 'HTTP_AUTHORIZATION') once enforcement is on. Here such a
request is authorized as its signer: the action is checked against the principal named by
X-Amz-Credential, as AWS does. The signature itself is not recomputed (moto rebuilds only header
signatures), so a tampered presigned URL is let through locally; the SDK that signs it is tested
against AWS's own presigning rules elsewhere.

Usage: python scripts/moto_server.py -H 127.0.0.1 -p PORT (the arguments of moto_server).
"""

import sys
from urllib.parse import parse_qs, urlparse

from moto.core import authorization
from moto.core.authorization import ActionAuthenticatorMixin
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

if __name__ == "__main__":
    sys.exit(main())
