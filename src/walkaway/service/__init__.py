"""Use cases: what the command line and the web app do, joining the core, importers and store.

One module per area; the names most callers need are re-exported here.
"""

from walkaway.service.pipeline import (
    DealFilter,
    build_demo,
    import_files,
    list_deals,
    pipeline_summary,
    sample_files,
    save_policy,
    stored_deal_ids,
    stored_policy_text,
    write_rejects,
)

__all__ = [
    "DealFilter",
    "build_demo",
    "import_files",
    "list_deals",
    "pipeline_summary",
    "sample_files",
    "save_policy",
    "stored_deal_ids",
    "stored_policy_text",
    "write_rejects",
]
