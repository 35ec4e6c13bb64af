"""Live CRM sync and write-back: Salesforce and HubSpot through their own clients.

An edge beside the web app and Spark: :mod:`walkaway.crm.sync` pulls what changed since
the last sync and maps it with the export importers' own mappings
(:func:`walkaway.importers.loading.prepare_tables`); :mod:`walkaway.crm.push` writes
the call back to Walkaway's own fields. Credentials come from the environment or a
config file (:mod:`walkaway.crm.credentials`) and are never written to the store.

simple-salesforce and hubspot-api-client load only in these commands.

May import: the service and everything below it; only the CLI imports it.
"""

CRMS = ("salesforce", "hubspot")

__all__ = ["CRMS"]
