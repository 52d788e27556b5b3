#!/usr/bin/env python3
"""A provisioning flow driven by scim2-client, as an identity management
runs it: discover the server, look the joiner up by userName, create them,
find them by externalId, change their title and family name (a mover),
then deprovision them (active false, then DELETE: a leaver).

Usage: scim_flow.py BASE_URL TOKEN
Prints one JSON object per step.
"""
import json
import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import PatchOp, PatchOperation, SearchRequest

EXTENSION = "urn:ietf:params:scim:schemas:extension:porttivahti:2.0:User"


def say(step: str, **kw) -> None:
    print(json.dumps({"step": step, **kw}), flush=True)


def main() -> None:
    base, token = sys.argv[1], sys.argv[2]
    http = httpx2.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    client = SyncSCIMClient(http)
    client.discover()
    User = client.get_resource_model("User")

    found = client.query(
        User, query_parameters=SearchRequest(filter='userName eq "jaana.joiner@hyvaks.fi"')
    )
    say("looked_up", total=found.total_results)

    # The server's own models (discovered), with its extension (required
    # there): the joiner is a member in Intermetso.
    joiner = User.model_validate(
        {
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                EXTENSION,
            ],
            "userName": "jaana.joiner@hyvaks.fi",
            "externalId": "entra-0f3a",
            "name": {"givenName": "Jaana", "familyName": "Joiner"},
            "emails": [{"value": "jaana.joiner@hyvaks.fi"}],
            "title": "sairaanhoitaja",
            "active": True,
            EXTENSION: {"networks": ["intermetso"]},
        }
    )
    created = client.create(joiner)
    say("created", id=created.id, user_name=created.user_name, version=created.meta.version)

    by_external = client.query(
        User, query_parameters=SearchRequest(filter='externalId eq "entra-0f3a"')
    )
    say("found", total=by_external.total_results, id=by_external.resources[0].id)

    mover = PatchOp[User](
        operations=[
            PatchOperation(op=PatchOperation.Op.replace_, path="title", value="osastonhoitaja"),
            PatchOperation(op=PatchOperation.Op.replace_, path="name.familyName", value="Mover"),
        ]
    )
    moved = client.modify(User, created.id, mover)
    say("moved", title=moved.title, family_name=moved.name.family_name)

    leaver = PatchOp[User](
        operations=[PatchOperation(op=PatchOperation.Op.replace_, path="active", value=False)]
    )
    left = client.modify(User, created.id, leaver)
    say("disabled", active=left.active)

    client.delete(User, created.id)
    say("deleted", id=created.id)


if __name__ == "__main__":
    main()
