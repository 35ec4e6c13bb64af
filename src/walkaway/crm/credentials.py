"""Where a CRM's credentials and field names come from: the environment, else a file.

The environment wins over the file (``--config crm.toml``, or ``$WALKAWAY_CRM_CONFIG``)::

    [salesforce]            # WALKAWAY_SALESFORCE_<KEY>
    username = "..."        # with password and security_token (domain = "test" for a sandbox)
    instance_url = "..."    # or an OAuth access token for this instance
    access_token = "..."

    [hubspot]               # WALKAWAY_HUBSPOT_<KEY>
    access_token = "..."    # a private app's token

    [salesforce.fields]     # where the call is written (defaults below)
    recommendation = "Walkaway_Recommendation__c"

Nothing read here is ever written to the database.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from walkaway.errors import InputError

KEYS = {
    "salesforce": (
        "username", "password", "security_token", "domain", "instance_url", "access_token",
    ),
    "hubspot": ("access_token", "base_url"),
}  # fmt: skip
DEFAULT_FIELDS = {
    "salesforce": {
        "recommendation": "Walkaway_Recommendation__c",
        "win_probability": "Walkaway_Win_Probability__c",
        "top_reason": "Walkaway_Top_Reason__c",
    },
    "hubspot": {
        "recommendation": "walkaway_recommendation",
        "win_probability": "walkaway_win_probability",
        "top_reason": "walkaway_top_reason",
    },
}


@dataclass(frozen=True)
class CrmConfig:
    """One CRM's credentials (never printed, never stored) and the fields we write."""

    crm: str
    values: Mapping[str, str] = field(repr=False)
    fields: Mapping[str, str]

    def get(self, key: str) -> str | None:
        return self.values.get(key) or None


def _file_table(path: Path | None, crm: str) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: not valid TOML ({error})") from None
    table = data.get(crm, {})
    if not isinstance(table, dict):
        raise InputError(f"{path}: [{crm}] must be a table")
    return table


def _own_fields(crm: str, configured: Mapping[str, Any], where: str) -> dict[str, str]:
    """The fields we write: only Walkaway's own, so no field a person owns is touched."""
    fields = dict(DEFAULT_FIELDS[crm])
    for key, name in configured.items():
        if key not in fields:
            raise InputError(f"{where}: unknown field {key!r}; expected {', '.join(fields)}")
        if not str(name).lower().startswith("walkaway"):
            raise InputError(
                f"{where}: field {key} = {name!r} is not one of Walkaway's own fields; "
                "the push writes only fields whose name starts with Walkaway"
            )
        fields[key] = str(name)
    return fields


def load_config(
    crm: str, path: Path | None = None, env: Mapping[str, str] | None = None
) -> CrmConfig:
    """The credentials and field names of ``crm`` (``salesforce`` or ``hubspot``)."""
    env = os.environ if env is None else env
    path = path or (Path(env["WALKAWAY_CRM_CONFIG"]) if env.get("WALKAWAY_CRM_CONFIG") else None)
    table = _file_table(path, crm)
    values = {k: str(table[k]) for k in KEYS[crm] if table.get(k)}
    values.update({k: env[f"WALKAWAY_{crm.upper()}_{k.upper()}"] for k in KEYS[crm]
                   if env.get(f"WALKAWAY_{crm.upper()}_{k.upper()}")})  # fmt: skip
    fields = _own_fields(crm, table.get("fields", {}), str(path or "the config"))
    return CrmConfig(crm, values, fields)
