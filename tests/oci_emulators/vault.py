"""A double of OCI Vault for the tests: secret management (/20180608/secrets) and secret
retrieval (/20190301/secretbundles), on loopback, with requests authenticated as OCI does.

Every request must carry an OCI signature (version 1, draft-cavage-http-signatures-08 as
https://docs.oracle.com/iaas/Content/API/Concepts/signingrequests.htm profiles it): keyId
`<tenancy>/<user>/<fingerprint>` equal to --key-id, algorithm rsa-sha256, the headers OCI
requires signed (date (request-target) host; for POST and PUT also x-content-sha256
content-type content-length), x-content-sha256 the body's digest, and an RSA-SHA256
signature that the public key in --public-key verifies. Anything else is 401
NotAuthenticated, as OCI answers.

New secrets and versions are CREATING/UPDATING for --settle GETs of the secret, then ACTIVE.
GET /_test/secrets (unsigned) dumps the state: name -> versions with content and stages.

Usage: vault.py --port-file FILE --public-key PEM --key-id ID --vault OCID [--settle N] [--lose-writes]
"""

import argparse
import base64
import email.utils
import hashlib
import json
import os
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

LOCK = threading.Lock()
SECRETS = {}  # id -> secret
ARGS = None
PUBLIC_KEY = None


class NotAuthenticated(Exception):
    pass


def authenticate(handler, method, body):
    auth = handler.headers.get("authorization", "")
    if not auth.startswith("Signature "):
        raise NotAuthenticated("no Signature authorization header")
    params = dict(re.findall(r'(\w+)="([^"]*)"', auth[len("Signature "):]))
    if params.get("version") != "1":
        raise NotAuthenticated("signature version is not 1")
    if params.get("algorithm") != "rsa-sha256":
        raise NotAuthenticated("algorithm is not rsa-sha256")
    if params.get("keyId") != ARGS.key_id:
        raise NotAuthenticated("unknown keyId %r" % params.get("keyId"))
    names = params.get("headers", "").split(" ")
    required = {"date", "(request-target)", "host"}
    if method in ("POST", "PUT"):
        required |= {"x-content-sha256", "content-type", "content-length"}
    if set(names) != required or len(names) != len(required):
        raise NotAuthenticated("signed headers %r, required %r" % (names, sorted(required)))
    if method in ("POST", "PUT"):
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        if handler.headers.get("x-content-sha256") != digest:
            raise NotAuthenticated("x-content-sha256 is not the body's digest")
        if handler.headers.get("content-length") != str(len(body)):
            raise NotAuthenticated("content-length is not the body's length")
    date = email.utils.parsedate_to_datetime(handler.headers.get("date", "Thu, 01 Jan 1970 00:00:00 GMT"))
    if abs(date.timestamp() - time.time()) > 300:
        raise NotAuthenticated("the date is more than 5 minutes off")
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append("(request-target): %s %s" % (method.lower(), handler.path))
        else:
            value = handler.headers.get(name)
            if value is None:
                raise NotAuthenticated("signed header %s is missing" % name)
            lines.append("%s: %s" % (name, value))
    try:
        signature = base64.b64decode(params.get("signature", ""))
        PUBLIC_KEY.verify(signature, "\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        raise NotAuthenticated("the signature does not verify")


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def summary(secret):
    return {k: secret[k] for k in ("id", "secretName", "compartmentId", "vaultId", "keyId",
                                   "lifecycleState", "timeCreated", "freeformTags",
                                   "currentVersionNumber", "description")}


def settle(secret):
    if secret["lifecycleState"] in ("CREATING", "UPDATING"):
        secret["pending"] -= 1
        if secret["pending"] < 0:
            secret["lifecycleState"] = "ACTIVE"


def add_version(secret, content):
    if content.get("contentType") != "BASE64" or not isinstance(content.get("content"), str):
        return "secretContent must be {contentType: BASE64, content}"
    base64.b64decode(content["content"], validate=True)
    if content.get("stage", "CURRENT") != "CURRENT":
        return "only stage CURRENT is supported by the double"
    for version in secret["versions"]:
        if "CURRENT" in version["stages"]:
            version["stages"] = ["PREVIOUS"]
        elif "PREVIOUS" in version["stages"]:
            version["stages"] = []
    number = len(secret["versions"]) + 1
    secret["versions"].append({"versionNumber": number, "content": content["content"],
                               "stages": ["CURRENT", "LATEST"]})
    secret["currentVersionNumber"] = number
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("opc-request-id", uuid.uuid4().hex)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message):
        self.reply(status, {"code": code, "message": message})

    def handle_any(self, method):
        length = int(self.headers.get("content-length", "0") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        if method == "GET" and url.path == "/_test/secrets":
            with LOCK:
                return self.reply(200, {s["secretName"]: s for s in SECRETS.values()})
        try:
            authenticate(self, method, body)
        except NotAuthenticated as e:
            return self.error(401, "NotAuthenticated", "The required information to complete authentication was not provided or was incorrect. (%s)" % e)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = url.path.strip("/").split("/")
        with LOCK:
            if parts == ["20180608", "secrets"] and method == "GET":
                found = [summary(s) for s in SECRETS.values()
                         if s["compartmentId"] == query.get("compartmentId")
                         and (not query.get("vaultId") or s["vaultId"] == query["vaultId"])
                         and (not query.get("name") or s["secretName"] == query["name"])]
                return self.reply(200, found)
            if parts == ["20180608", "secrets"] and method == "POST":
                request = json.loads(body)
                for key in ("compartmentId", "vaultId", "keyId", "secretName", "secretContent"):
                    if key not in request:
                        return self.error(400, "InvalidParameter", "%s is required" % key)
                if request["vaultId"] not in ARGS.vault:
                    return self.error(404, "NotAuthorizedOrNotFound", "Authorization failed or requested resource not found.")
                if any(s["secretName"] == request["secretName"] and s["vaultId"] == request["vaultId"]
                       for s in SECRETS.values()):
                    return self.error(409, "Conflict", "A secret with this name already exists in the vault.")
                secret = {
                    "id": "ocid1.vaultsecret.oc1..%s" % uuid.uuid4().hex,
                    "secretName": request["secretName"],
                    "compartmentId": request["compartmentId"],
                    "vaultId": request["vaultId"],
                    "keyId": request["keyId"],
                    "description": request.get("description"),
                    "freeformTags": request.get("freeformTags", {}),
                    "lifecycleState": "CREATING",
                    "pending": ARGS.settle,
                    "timeCreated": now(),
                    "currentVersionNumber": 0,
                    "versions": [],
                }
                problem = add_version(secret, request["secretContent"])
                if problem:
                    return self.error(400, "InvalidParameter", problem)
                SECRETS[secret["id"]] = secret
                return self.reply(200, summary(secret))
            if len(parts) == 3 and parts[:2] == ["20180608", "secrets"]:
                secret = SECRETS.get(parts[2])
                if secret is None:
                    return self.error(404, "NotAuthorizedOrNotFound", "Authorization failed or requested resource not found.")
                if method == "GET":
                    reply = summary(secret)
                    settle(secret)
                    return self.reply(200, reply)
                if method == "PUT":
                    if secret["lifecycleState"] != "ACTIVE":
                        return self.error(409, "IncorrectState", "The secret is %s." % secret["lifecycleState"])
                    request = json.loads(body)
                    problem = add_version(secret, request.get("secretContent", {}))
                    if problem:
                        return self.error(400, "InvalidParameter", problem)
                    secret["lifecycleState"] = "UPDATING"
                    secret["pending"] = ARGS.settle
                    return self.reply(200, summary(secret))
            if len(parts) == 3 and parts[:2] == ["20190301", "secretbundles"] and method == "GET":
                secret = SECRETS.get(parts[2])
                if secret is None or secret["lifecycleState"] == "CREATING":
                    return self.error(404, "NotAuthorizedOrNotFound", "Authorization failed or requested resource not found.")
                stage = query.get("stage", "CURRENT")
                versions = [v for v in secret["versions"] if stage in v["stages"]]
                if not versions:
                    return self.error(404, "NotAuthorizedOrNotFound", "No version in stage %s." % stage)
                version = versions[-1]
                content = version["content"]
                if ARGS.lose_writes:
                    content = base64.b64encode(b"{}").decode()
                return self.reply(200, {
                    "secretId": secret["id"],
                    "versionNumber": version["versionNumber"],
                    "stages": version["stages"],
                    "secretBundleContent": {"contentType": "BASE64", "content": content},
                })
        return self.error(404, "NotFound", "no route %s %s" % (method, url.path))

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")


def main():
    global ARGS, PUBLIC_KEY
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--public-key", required=True)
    parser.add_argument("--key-id", required=True)
    parser.add_argument("--vault", action="append", required=True)
    parser.add_argument("--settle", type=int, default=1)
    parser.add_argument("--lose-writes", action="store_true",
                        help="secret bundles read back as {} whatever was written")
    ARGS = parser.parse_args()
    with open(ARGS.public_key, "rb") as f:
        PUBLIC_KEY = serialization.load_pem_public_key(f.read())
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(ARGS.port_file + ".tmp", ARGS.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
