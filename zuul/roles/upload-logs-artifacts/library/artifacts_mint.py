#!/usr/bin/python3
"""Ansible module: mints a mod_artifacts upload token for one build's directory."""

from ansible.module_utils.artifacts_token import mint
from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: artifacts_mint
short_description: Mint a mod_artifacts upload token for one build
description:
  - Signs a token (format art1) with a key the server knows, for exactly one scope. The
    token's jti is the build's uuid, so every token of one build shares its quota and its
    seal: a second run of a sealed build is refused.
options:
  scope: {description: The build's directory below the server's location, ending with '/'., required: true, type: str}
  kid: {description: The key's id (the server's ArtifactsTokenKey)., required: true, type: str}
  key: {description: The key's secret., required: true, type: str, no_log: true}
  kinds: {description: Kinds the token may store (the server's ArtifactsKind names)., required: true, type: list, elements: str}
  max_bytes: {description: Bytes the build may store in all (0 for no quota)., type: int, default: 0}
  max_files: {description: Files the build may store (0 for no quota)., type: int, default: 0}
  ttl: {description: Seconds the token is valid., type: int, default: 3600}
  build: {description: The build's uuid (the token's jti)., required: true, type: str}
  job: {description: The job's name (for the server's audit log)., type: str}
"""

RETURN = r"""
token: {description: The token (register the result with no_log)., type: str, returned: success}
"""


def run(module):
    params = module.params
    if params["ttl"] <= 0:
        module.fail_json(msg="ttl must be a positive number of seconds")
    try:
        token = mint(params["key"].encode(), params["kid"], params["scope"], params["kinds"], ttl=params["ttl"],
                     jti=params["build"], max_bytes=params["max_bytes"] or None,
                     max_files=params["max_files"] or None, build=params["build"], job=params["job"])
    except ValueError as error:
        module.fail_json(msg=f"cannot mint a token: {error}")
    module.exit_json(changed=False, token=token, scope=params["scope"])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            scope=dict(type="str", required=True),
            kid=dict(type="str", required=True),
            key=dict(type="str", required=True, no_log=True),
            kinds=dict(type="list", elements="str", required=True),
            max_bytes=dict(type="int", default=0),
            max_files=dict(type="int", default=0),
            ttl=dict(type="int", default=3600),
            build=dict(type="str", required=True),
            job=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    run(module)


if __name__ == "__main__":
    main()
