#!/usr/bin/python3
"""Mint and verify mod_artifacts upload tokens (format v1) with the Python
standard library only, so a Zuul parameter function can import it:

    from artifacts_token import mint
    token = mint(secret, "k2026a", scope="42/abc/", kinds=["logs"], ttl=3 * 3600)

A token is "art1.<kid>.<claims>.<sig>": claims is the unpadded base64url of a JSON object
and sig the unpadded base64url of HMAC-SHA256(secret, "art1.<kid>.<claims>"). verify()
applies the module's checks in the module's order and names the same problem codes, as
the shared vectors of tests/vectors/ prove.

This file is the one implementation: the Ansible role upload-logs-artifacts ships it as
module_utils (its modules mint with it), and scripts/artifacts_token.py is a link to it.

Command line:
    artifacts_token.py mint --kid K --key-file F --scope S --kinds logs,tarballs [--ttl 10800] ...
    artifacts_token.py verify --key K=FILE [--now T] TOKEN
"""
import argparse
import base64
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import sys
import time

PREFIX = "art1"
MAX_TOKEN_LENGTH = 16 * 1024
MIN_SECRET_LENGTH = 16
KID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
B64URL = re.compile(r"[A-Za-z0-9_-]*\Z")
CIDR = re.compile(r"[0-9A-Fa-f:.]+(/[0-9]{1,3})?\Z")  # no netmasks, no zone ids: as inet_pton


class TokenError(Exception):
    """A refused token: .code is the stable problem code, str() the reason."""

    def __init__(self, code, reason):
        super().__init__(reason)
        self.code = code


def key_file_secret(content):
    """A key file's secret: its bytes without trailing whitespace."""
    return content.rstrip(b" \t\r\n")


def read_key_file(path):
    with open(path, "rb") as key_file:
        secret = key_file_secret(key_file.read())
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(f"the secret in {path!r} is shorter than {MIN_SECRET_LENGTH} bytes")
    return secret


def _b64encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text):
    """Strict: no padding, only the alphabet, no leftover bits."""
    if not B64URL.match(text) or len(text) % 4 == 1:
        return None
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return data if _b64encode(data) == text else None


def _secret_bytes(secret):
    return secret.encode() if isinstance(secret, str) else bytes(secret)


def sign(kid, secret, claims_json):
    """A token over claims given as a JSON string (sent exactly as given)."""
    body = f"{PREFIX}.{kid}.{_b64encode(claims_json.encode())}"
    sig = hmac.new(_secret_bytes(secret), body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{_b64encode(sig)}"


def mint(secret, kid, scope, kinds, ttl=3 * 3600, exp=None, nbf=None, jti=None, max_bytes=None,
         max_files=None, ip=None, overwrite=False, build=None, job=None, now=None):
    """Returns a signed token. scope is relative to ArtifactsRoot and ends with "/"."""
    if not KID.match(kid):
        raise ValueError("kid must be 1 to 64 letters, digits, '-' or '_'")
    if not scope.endswith("/") or scope.startswith("/"):
        raise ValueError("scope must be relative and end with '/'")
    if not kinds:
        raise ValueError("kinds must not be empty")
    now = int(time.time()) if now is None else int(now)
    claims = {"scope": scope, "exp": int(exp) if exp is not None else now + int(ttl),
              "kinds": list(kinds), "jti": jti or secrets.token_hex(16)}
    optional = {"nbf": nbf, "max_bytes": max_bytes, "max_files": max_files,
                "ip": list(ip) if ip else None, "build": build, "job": job}
    claims.update({name: value for name, value in optional.items() if value is not None})
    if overwrite:
        claims["overwrite"] = True
    return sign(kid, secret, json.dumps(claims, separators=(",", ":")))


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_string_list(value):
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _check_scope(scope):
    if not scope or not scope.endswith("/"):
        return "scope must end with '/'"
    if scope.startswith("/"):
        return "scope is not a clean path: it must be relative"
    try:
        scope.encode("utf-8")
    except UnicodeEncodeError:
        return "scope is not valid UTF-8"
    for segment in scope[:-1].split("/"):
        if segment in ("", ".", ".."):
            return f"scope is not a clean path: it has a {segment or 'empty'!r} segment"
        if "\\" in segment or any(ord(c) < 0x20 or ord(c) == 0x7F for c in segment):
            return "scope is not a clean path: it has a backslash or control character"
    return None


def _read_claims(claims):
    for required in ("scope", "exp", "kinds", "jti"):
        if required not in claims:
            raise TokenError("missing_claim", f"claim '{required}' is missing")
    if not isinstance(claims["scope"], str):
        raise TokenError("wrong_type", "claim 'scope' must be a string")
    for name in ("exp", "nbf"):
        if name in claims and not (_is_int(claims[name]) and -2**63 <= claims[name] < 2**63):
            raise TokenError("wrong_type", f"claim '{name}' must be an integer (Unix seconds)")
    if not _is_string_list(claims["kinds"]) or not claims["kinds"]:
        raise TokenError("wrong_type", "claim 'kinds' must be a non-empty list of kind names")
    jti = claims["jti"]
    if not isinstance(jti, str) or not jti or len(jti.encode()) > 256:
        raise TokenError("wrong_type", "claim 'jti' must be a non-empty string of at most 256 bytes")
    for name in ("max_bytes", "max_files"):
        if name in claims and not (_is_int(claims[name]) and 0 <= claims[name] < 2**64):
            raise TokenError("wrong_type", f"claim '{name}' must be a non-negative integer")
    if "ip" in claims:
        if not _is_string_list(claims["ip"]):
            raise TokenError("wrong_type", "claim 'ip' must be a list of CIDR ranges")
        for cidr in claims["ip"]:
            try:
                if not CIDR.match(cidr):
                    raise ValueError(cidr)
                ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise TokenError("wrong_type", f"claim 'ip' has {cidr!r}, which is not a CIDR range") from None
    if "overwrite" in claims and not isinstance(claims["overwrite"], bool):
        raise TokenError("wrong_type", "claim 'overwrite' must be true or false")
    for name in ("build", "job"):
        if name in claims and not isinstance(claims[name], str):
            raise TokenError("wrong_type", f"claim '{name}' must be a string")


def verify(token, keys, now=None, leeway=60, max_lifetime=86400):
    """Returns the claims of a valid token; raises TokenError otherwise. keys: {kid: secret}."""
    now = int(time.time()) if now is None else int(now)
    parts = token.split(".") if len(token) <= MAX_TOKEN_LENGTH else []
    if len(parts) != 4 or parts[0] != PREFIX or not KID.match(parts[1]):
        raise TokenError("malformed", "the token is not of the form art1.<kid>.<claims>.<signature>")
    _, kid, claims_text, sig_text = parts
    claims_bytes, signature = _b64decode(claims_text), _b64decode(sig_text)
    if claims_bytes is None or signature is None:
        raise TokenError("malformed", "a part of the token is not unpadded base64url")
    if kid not in keys:
        raise TokenError("unknown_kid", f"the token's key {kid!r} is not known here")
    expected = hmac.new(_secret_bytes(keys[kid]), f"{PREFIX}.{kid}.{claims_text}".encode("ascii"),
                        hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise TokenError("bad_signature", "the token's signature does not match")
    try:
        claims = json.loads(claims_bytes.decode("utf-8"), parse_constant=_refuse_constant)
        # A lone surrogate escape ("\ud800") is no Unicode text: refused as the module refuses it.
        json.dumps(claims, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError, RecursionError):
        claims = None
    if not isinstance(claims, dict):
        raise TokenError("bad_claims", "the token's claims are not a JSON object")
    _read_claims(claims)
    problem = _check_scope(claims["scope"])
    if problem:
        raise TokenError("bad_scope", problem)
    exp, nbf = claims["exp"], claims.get("nbf")
    if exp + leeway < now:
        raise TokenError("expired", f"the token expired at {exp}")
    if nbf is not None and nbf > now + leeway:
        raise TokenError("not_yet_valid", f"the token is not valid before {nbf}")
    start = nbf if nbf is not None and nbf > now else now
    if exp > start + max_lifetime + leeway:
        raise TokenError("lifetime_too_long",
                         f"the token is valid for longer than this server allows ({max_lifetime} s)")
    return claims


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def main(argv=None):
    parser = argparse.ArgumentParser(description="mod_artifacts upload tokens (format v1)")
    commands = parser.add_subparsers(dest="command", required=True)
    minting = commands.add_parser("mint", help="print a new token")
    minting.add_argument("--kid", required=True)
    minting.add_argument("--key-file", required=True)
    minting.add_argument("--scope", required=True)
    minting.add_argument("--kinds", required=True, help="comma-separated kind names")
    minting.add_argument("--ttl", type=int, default=3 * 3600, help="seconds (default 3 h)")
    minting.add_argument("--jti")
    minting.add_argument("--max-bytes", type=int)
    minting.add_argument("--max-files", type=int)
    minting.add_argument("--ip", action="append")
    minting.add_argument("--overwrite", action="store_true")
    minting.add_argument("--build")
    minting.add_argument("--job")
    checking = commands.add_parser("verify", help="verify a token; exit 1 when refused")
    checking.add_argument("--key", action="append", required=True, help="KID=FILE")
    checking.add_argument("--now", type=int)
    checking.add_argument("--leeway", type=int, default=60)
    checking.add_argument("--max-lifetime", type=int, default=86400)
    checking.add_argument("token")
    args = parser.parse_args(argv)
    if args.command == "mint":
        print(mint(read_key_file(args.key_file), args.kid, args.scope,
                   [k for k in args.kinds.split(",") if k], ttl=args.ttl, jti=args.jti,
                   max_bytes=args.max_bytes, max_files=args.max_files, ip=args.ip,
                   overwrite=args.overwrite, build=args.build, job=args.job))
        return 0
    keys = {}
    for spec in args.key:
        kid, _, path = spec.partition("=")
        keys[kid] = read_key_file(path)
    try:
        claims = verify(args.token, keys, now=args.now, leeway=args.leeway, max_lifetime=args.max_lifetime)
    except TokenError as error:
        print(f"refused: {error.code}: {error}")
        return 1
    print(json.dumps(claims, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
