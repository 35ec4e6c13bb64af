"""Use cases: what the command line and the web app do, joining the core, importers and store.

One module per area; the names most callers need are re-exported here, with the store's
type and its opening for the edges (the web imports no store module: it has these).
"""

from walkaway.service.pipeline import (
    DealFilter,
    build_demo,
    decisions_recorded,
    import_files,
    list_deals,
    pipeline_summary,
    sample_files,
    save_policy,
    stored_deal_ids,
    stored_policy_text,
    write_rejects,
)
from walkaway.store import Store, open_store

__all__ = [
    "DealFilter",
    "Store",
    "build_demo",
    "decisions_recorded",
    "import_files",
    "list_deals",
    "open_store",
    "pipeline_summary",
    "sample_files",
    "save_policy",
    "stored_deal_ids",
    "stored_policy_text",
    "write_rejects",
]
