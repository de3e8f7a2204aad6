#!/usr/bin/python3
"""Writes tokens.json, the token test vectors that the CppUnit tests (token_test.cc) and
the Python tests (test_token_vectors.py) both run. Each vector is a token with the keys,
clock and limits to verify it under, and the verdict: "ok" or the problem code.
Run it again only to add vectors; the file is committed so both sides read the same bytes."""
import base64
import hashlib
import hmac
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
import artifacts_token  # noqa: E402

KEYS = {"k2026a": "vector-secret-number-one-0123456789", "k2026b": "vector-secret-number-two-abcdefghij"}
NOW = 1790000000
BASE = {"scope": "42/abcdef/", "exp": NOW + 3600, "kinds": ["logs"], "jti": "jti-0001"}


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(claims, kid="k2026a", secret=None):
    text = claims if isinstance(claims, str) else json.dumps(claims, separators=(",", ":"))
    return artifacts_token.sign(kid, secret or KEYS[kid], text)


def with_claims(**changes):
    claims = dict(BASE)
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def raw_token(kid, claims_part, sig_part):
    return f"art1.{kid}.{claims_part}.{sig_part}"


def resign(kid, claims_part):
    body = f"art1.{kid}.{claims_part}"
    return f"{body}.{b64(hmac.new(KEYS[kid].encode(), body.encode(), hashlib.sha256).digest())}"


good = signed(BASE)
claims_part = good.split(".")[2]
vectors = [
    ("minimal token", good, "ok"),
    ("every claim", signed(with_claims(nbf=NOW - 10, max_bytes=10**9, max_files=1000, ip=["192.0.2.0/24", "2001:db8::/32"],
                                       overwrite=True, build="b1", job="tempest", future_claim={"x": 1})), "ok"),
    ("rotated key still valid", signed(BASE, kid="k2026b"), "ok"),
    ("expired within leeway", signed(with_claims(exp=NOW - 30)), "ok"),
    ("not yet valid within leeway", signed(with_claims(nbf=NOW + 30)), "ok"),
    ("unicode scope", signed(with_claims(scope="42/caf\u00e9/")), "ok"),
    ("wrong prefix", "art2" + good[4:], "malformed"),
    ("three parts", good.rsplit(".", 1)[0], "malformed"),
    ("five parts", good + ".x", "malformed"),
    ("padding in claims", raw_token("k2026a", claims_part + "=", good.split(".")[3]), "malformed"),
    ("standard base64 alphabet", raw_token("k2026a", claims_part.replace("-", "+").replace("_", "/") + "+/", "AA"),
     "malformed"),
    ("kid with a dot is not a kid", "art1.k.1." + claims_part + "." + good.split(".")[3], "malformed"),
    ("empty kid", raw_token("", claims_part, good.split(".")[3]), "malformed"),
    ("unknown kid", signed(BASE, kid="k2026a").replace("art1.k2026a.", "art1.k1999z.", 1), "unknown_kid"),
    ("tampered claims", raw_token("k2026a", b64(json.dumps(with_claims(scope="42/")).encode()), good.split(".")[3]),
     "bad_signature"),
    ("tampered signature", good[:-2] + ("AA" if good[-2:] != "AA" else "BA"), "bad_signature"),
    ("signed with another secret", signed(BASE, secret="some-other-secret-0123456789"), "bad_signature"),
    ("signature of the other key", raw_token("k2026b", claims_part, good.split(".")[3]), "bad_signature"),
    ("empty signature", raw_token("k2026a", claims_part, ""), "bad_signature"),
    ("claims not JSON", resign("k2026a", b64(b"not json")), "bad_claims"),
    ("claims a JSON array", resign("k2026a", b64(b"[1,2]")), "bad_claims"),
    ("claims not UTF-8", resign("k2026a", b64(b'{"scope":"\xff/"}')), "bad_claims"),
    ("NaN is not JSON", resign("k2026a", b64(b'{"scope":"a/","exp":NaN,"kinds":["logs"],"jti":"x"}')), "bad_claims"),
    ("claims behind a UTF-8 BOM", resign("k2026a", b64(b"\xef\xbb\xbf" + json.dumps(BASE).encode())), "bad_claims"),
    ("lone surrogate in a claim",
     resign("k2026a", b64(json.dumps(BASE).replace('"jti-0001"', '"\\ud800"').encode())), "bad_claims"),
    ("no scope", signed(with_claims(scope=None)), "missing_claim"),
    ("no exp", signed(with_claims(exp=None)), "missing_claim"),
    ("no kinds", signed(with_claims(kinds=None)), "missing_claim"),
    ("no jti", signed(with_claims(jti=None)), "missing_claim"),
    ("exp as string", signed(with_claims(exp=str(NOW + 3600))), "wrong_type"),
    ("exp as float", signed(json.dumps(BASE).replace(str(NOW + 3600), str(NOW + 3600) + ".5")), "wrong_type"),
    ("exp beyond int64", signed(with_claims(exp=2**63)), "wrong_type"),
    ("nbf as bool", signed(with_claims(nbf=True)), "wrong_type"),
    ("kinds empty", signed(with_claims(kinds=[])), "wrong_type"),
    ("kinds a string", signed(with_claims(kinds="logs")), "wrong_type"),
    ("kinds with a number", signed(with_claims(kinds=["logs", 3])), "wrong_type"),
    ("jti empty", signed(with_claims(jti="")), "wrong_type"),
    ("jti too long", signed(with_claims(jti="j" * 257)), "wrong_type"),
    ("jti a number", signed(with_claims(jti=7)), "wrong_type"),
    ("max_bytes negative", signed(with_claims(max_bytes=-1)), "wrong_type"),
    ("max_files as string", signed(with_claims(max_files="10")), "wrong_type"),
    ("ip not a list", signed(with_claims(ip="192.0.2.0/24")), "wrong_type"),
    ("ip with host bits", signed(with_claims(ip=["192.0.2.1/24"])), "wrong_type"),
    ("ip netmask form", signed(with_claims(ip=["10.0.0.0/255.0.0.0"])), "wrong_type"),
    ("ip prefix too long", signed(with_claims(ip=["10.0.0.0/33"])), "wrong_type"),
    ("ip an IPv4-mapped IPv6 host", signed(with_claims(ip=["::ffff:127.0.0.1/128"])), "ok"),
    ("ip an IPv4-mapped IPv6 range", signed(with_claims(ip=["::ffff:192.0.2.0/120", "::ffff:7f00:1"])), "ok"),
    ("ip IPv4-mapped with host bits", signed(with_claims(ip=["::ffff:192.0.2.1/120"])), "wrong_type"),
    ("ip IPv4-mapped below the mapping", signed(with_claims(ip=["::ffff:0:0/95"])), "wrong_type"),
    ("ip with a zone id", signed(with_claims(ip=["fe80::1%eth0/128"])), "wrong_type"),
    ("overwrite as string", signed(with_claims(overwrite="yes")), "wrong_type"),
    ("build as number", signed(with_claims(build=12)), "wrong_type"),
    ("scope without trailing slash", signed(with_claims(scope="42/abcdef")), "bad_scope"),
    ("scope empty", signed(with_claims(scope="")), "bad_scope"),
    ("scope root slash", signed(with_claims(scope="/")), "bad_scope"),
    ("scope leading slash", signed(with_claims(scope="/42/")), "bad_scope"),
    ("scope with ..", signed(with_claims(scope="42/../")), "bad_scope"),
    ("scope with .", signed(with_claims(scope="42/./x/")), "bad_scope"),
    ("scope with //", signed(with_claims(scope="42//x/")), "bad_scope"),
    ("scope with backslash", signed(with_claims(scope="42\\x/")), "bad_scope"),
    ("scope with NUL", signed(with_claims(scope="42\u0000x/")), "bad_scope"),
    ("scope with newline", signed(with_claims(scope="42\nx/")), "bad_scope"),
    ("expired", signed(with_claims(exp=NOW - 61)), "expired"),
    ("expired long ago", signed(with_claims(exp=0)), "expired"),
    ("not yet valid", signed(with_claims(nbf=NOW + 61)), "not_yet_valid"),
    ("lifetime beyond the server's cap", signed(with_claims(exp=NOW + 86400 + 61)), "lifetime_too_long"),
    ("far future exp", signed(with_claims(exp=2**62)), "lifetime_too_long"),
    ("long lifetime from nbf", signed(with_claims(nbf=NOW + 30, exp=NOW + 30 + 86400 + 61)), "lifetime_too_long"),
]

out = {"keys": KEYS, "now": NOW, "leeway": 60, "max_lifetime": 86400,
       "vectors": [{"name": name, "token": token, "expect": expect} for name, token, expect in vectors]}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tokens.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=True)
    f.write("\n")
print(f"{len(vectors)} vectors written to {path}")
