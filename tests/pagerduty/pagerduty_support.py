"""The PagerDuty tests' server configuration: PagerDuty at the stand-in, one good and one revoked secret."""

from __future__ import annotations

from standin import FROM, TOKEN, PagerDutyStandIn

from support import test_account

# The accounts test_pagerduty_integration.py uses: a secret keyed by a plain name must list whose it is.
ACCOUNTS = ", ".join(f'"{test_account(n).account_id}"' for n in range(4100, 4200))

SECRET = "pagerduty/incidentd"
BAD_TOKEN_SECRET = "pagerduty/revoked"


def server_config(standin: PagerDutyStandIn) -> str:
    """The server's config: fast onboarding, PagerDuty at the stand-in, secrets in both accepted forms."""
    return f"""
[replication]
settle_seconds = 0.2

[pagerduty]
base_url = "{standin.url}"

[secrets]
"{BAD_TOKEN_SECRET}" = '{{"pagerDutyToken": "u+revoked", "pagerDutyFromEmail": "{FROM}", "accounts": [{ACCOUNTS}]}}'

[secrets."{SECRET}"]
pagerDutyToken = "{TOKEN}"
pagerDutyServiceRegion = "US"
pagerDutyFromEmail = "{FROM}"
accounts = [{ACCOUNTS}]
"""
