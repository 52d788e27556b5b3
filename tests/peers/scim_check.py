#!/usr/bin/env python3
"""The SCIM 2.0 compliance checker scim2-tester against Porttivahti's
/scim/v2/: discovery (ServiceProviderConfig, ResourceTypes, Schemas), then
for the User resource creation, reading, listing, replacement, PATCH add,
replace and remove of every attribute the schemas publish, attribute
selection and deletion.

Usage: scim_check.py BASE_URL TOKEN
Prints one JSON object per check: status, title, reason.
"""
import json
import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server


def main() -> None:
    base, token = sys.argv[1], sys.argv[2]
    http = httpx2.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    client = SyncSCIMClient(http)
    for r in check_server(client, raise_exceptions=False):
        print(
            json.dumps(
                {
                    "status": r.status.name,
                    "title": r.title,
                    "resource_type": r.resource_type,
                    "reason": r.reason,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
