"""
A schemathesis check for MultiClaw's roles: a caller must never get a 2xx from a route whose
access (the OpenAPI document's `x-access`, from the cloud's route table) is above its role.
The checker runs schemathesis once per role with MCLAB_ROLE set, every workspace route aimed at
the checker's own workspace, so "member" and "owner" mean of that workspace.
"""
import os

import schemathesis

ACCESS_RANK = {"anyone": 0, "signed-in": 1, "member": 2, "owner": 3}
ROLE_RANK = {"anonymous": 0, "stranger": 1, "member": 2, "owner": 3}
ROLE = os.environ["MCLAB_ROLE"]


@schemathesis.check
def refused_for_this_role(ctx, response, case):
    if not 200 <= response.status_code < 300:
        return None
    access = case.operation.definition.raw.get("x-access", "owner")
    if ROLE_RANK[ROLE] < ACCESS_RANK.get(access, 3):
        raise AssertionError(
            f"{ROLE} got {response.status_code} from {case.method} {case.formatted_path}, a route for {access} only"
        )
    return None
