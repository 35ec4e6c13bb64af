"""Tables. Datetimes are stored as naive UTC."""

from __future__ import annotations

import sqlalchemy as sa

from walkaway.models import SHORT_TEXT

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

import_runs = sa.Table(
    "import_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("format", sa.String(32), nullable=False),
    sa.Column("deals_file", sa.Text),
    sa.Column("activities_file", sa.Text),
    sa.Column("deals_new", sa.Integer, nullable=False, server_default="0"),
    sa.Column("deals_updated", sa.Integer, nullable=False, server_default="0"),
    sa.Column("deals_unchanged", sa.Integer, nullable=False, server_default="0"),
    sa.Column("activities_new", sa.Integer, nullable=False, server_default="0"),
    sa.Column("activities_unchanged", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rejected", sa.Integer, nullable=False, server_default="0"),
)

deals = sa.Table(
    "deals",
    metadata,
    sa.Column("deal_id", sa.String(SHORT_TEXT), primary_key=True),
    sa.Column("name", sa.Text),
    sa.Column("account", sa.Text),
    sa.Column("owner", sa.String(SHORT_TEXT)),
    sa.Column("stage", sa.String(SHORT_TEXT)),
    sa.Column("amount", sa.Float, nullable=False),
    sa.Column("currency", sa.String(3)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expected_close", sa.Date),
    sa.Column("closed_at", sa.DateTime),
    sa.Column("outcome", sa.String(8), nullable=False),
    sa.Column("loss_reason", sa.Text),
    sa.Column("margin", sa.Float),
    sa.Column("hours_invested", sa.Float),
    sa.Column("budget", sa.String(16)),
    sa.Column("authority", sa.String(16)),
    sa.Column("champion", sa.String(8)),
    sa.Column("need", sa.String(8)),
    sa.Column("competitor", sa.String(16)),
    sa.Column("discount_requested", sa.Float),
    sa.Column("custom_requests", sa.Integer),
    sa.Column("missing_features", sa.Integer),
    sa.Column("stakeholders_aligned", sa.String(8)),
    sa.Column("fit", sa.String(8)),
    sa.Column("potential", sa.String(8)),
    sa.Column("rep_confidence", sa.Integer),
    sa.Column("manual_probability", sa.Float),
    sa.Column("attributes", sa.Text, nullable=False, server_default="{}"),
    sa.Column("source", sa.String(32)),
    sa.Column("import_run_id", sa.Integer, sa.ForeignKey("import_runs.id")),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

activities = sa.Table(
    "activities",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "deal_id",
        sa.String(SHORT_TEXT),
        sa.ForeignKey("deals.deal_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("direction", sa.String(8)),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("hours", sa.Float),
    sa.Column("stage", sa.String(SHORT_TEXT)),
    sa.Column("detail", sa.Text),
    sa.Column("actor", sa.String(SHORT_TEXT)),
    # No foreign key (migration 0003): PostgreSQL would check it row by row on COPY.
    sa.Column("import_run_id", sa.Integer),
    sa.Index("ix_activities_deal_at", "deal_id", "at"),
)

outcomes = sa.Table(
    "outcomes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "deal_id",
        sa.String(SHORT_TEXT),
        sa.ForeignKey("deals.deal_id", ondelete="CASCADE"),
        index=True,
    ),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Column("happened_at", sa.DateTime),
    sa.Column("note", sa.Text),
    sa.Column("source", sa.String(16), nullable=False),
)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "deal_id",
        sa.String(SHORT_TEXT),
        sa.ForeignKey("deals.deal_id", ondelete="CASCADE"),
        index=True,
    ),
    sa.Column("decided_at", sa.DateTime, nullable=False),
    sa.Column("as_of", sa.DateTime, nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("decided_by", sa.String(SHORT_TEXT)),
    sa.Column("revisit_on", sa.Date),
    sa.Column("requalify_by", sa.Date),
    sa.Column("win_probability", sa.Float),
    sa.Column("expected_value", sa.Float),
    sa.Column("cost_to_pursue", sa.Float),
    sa.Column("snapshot", sa.Text, nullable=False, server_default="{}"),
)

policies = sa.Table(
    "policies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("toml", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.false()),
)

probability_models = sa.Table(
    "probability_models",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("card", sa.Text, nullable=False),
    sa.Column("blob", sa.LargeBinary, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.false()),
)

# The leadership check (walkaway leader-check): one row per completed check. The answers
# are the source of truth; the report is kept as shown then, so a later check compares
# against what the leader actually saw.
leadership_checks = sa.Table(
    "leadership_checks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("taken_at", sa.DateTime, nullable=False),
    sa.Column("taken_by", sa.String(SHORT_TEXT), nullable=False),
    sa.Column("answers", sa.Text, nullable=False),
    sa.Column("report", sa.Text, nullable=False),
    sa.Index("ix_leadership_checks_taken_by_taken_at", "taken_by", "taken_at"),
)

# Team mode of the web app (walkaway serve --auth): people who sign in, and their API
# tokens. A password is kept only as an Argon2 hash and a token only as its SHA-256, so
# a copy of the database gives neither away.
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # who sessions and tokens act for: random, never reused (a row id is, on SQLite)
    # (always set; nullable only because a column added to SQLite's table can't be NOT NULL)
    sa.Column("uid", sa.String(32), index=True, unique=True),
    sa.Column("name", sa.String(SHORT_TEXT), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("rep_name", sa.String(SHORT_TEXT)),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # the token acts for the user with this uid only, even if the row id is reused
    sa.Column("user_uid", sa.String(32)),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Loss reviews (walkaway loss-review DEAL_ID --answer ... --lesson ...): what the buyer
# said in the win/loss conversation and what the team learned, one row per entry, kept
# with the move-on date that was set then.
loss_reviews = sa.Table(
    "loss_reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "deal_id",
        sa.String(SHORT_TEXT),
        sa.ForeignKey("deals.deal_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Column("recorded_by", sa.String(SHORT_TEXT)),
    sa.Column("buyer_answer", sa.Text),
    sa.Column("lesson", sa.Text),
    sa.Column("move_on_by", sa.Date),
)

# Team norms learned for a review as of a day (walkaway.service.review), so one `show`
# need not read the whole history. An entry is valid only for the import run and the
# policy (with Walkaway's version) it was computed under; a newer import makes it stale.
# An open-ended entry (learned at import, as of the day after the newest dated row)
# holds for that day and every later one: nothing in the store is dated after it.
norms_cache = sa.Table(
    "norms_cache",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("as_of", sa.DateTime, nullable=False),
    sa.Column("import_run_id", sa.Integer, nullable=False),
    sa.Column("policy_hash", sa.String(64), nullable=False),
    sa.Column("computed_at", sa.DateTime, nullable=False),
    sa.Column("norms", sa.Text, nullable=False),
    sa.Column("open_ended", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("as_of", "import_run_id", "policy_hash"),
)

# Live CRM sync (walkaway sync / push): how far each object's sync has got (the newest
# modification time already written), and the call last written back to each deal, so
# a push writes only calls that changed. Credentials are never kept here.
crm_sync_cursors = sa.Table(
    "crm_sync_cursors",
    metadata,
    sa.Column("crm", sa.String(32), primary_key=True),
    sa.Column("object", sa.String(64), primary_key=True),
    sa.Column("modified_since", sa.DateTime, nullable=False),
    sa.Column("synced_at", sa.DateTime, nullable=False),
)

crm_pushed_calls = sa.Table(
    "crm_pushed_calls",
    metadata,
    sa.Column("crm", sa.String(32), primary_key=True),
    sa.Column("deal_id", sa.String(SHORT_TEXT), primary_key=True),
    sa.Column("recommendation", sa.String(16), nullable=False),
    sa.Column("win_probability", sa.Float, nullable=False),
    sa.Column("top_reason", sa.Text),
    sa.Column("requalify_by", sa.Date),
    sa.Column("pushed_at", sa.DateTime, nullable=False),
)

# Reviews someone saved ("the Monday review"): only the moment it was as of, since any
# review can be replayed as of its date; `walkaway review --since last` compares with it.
saved_reviews = sa.Table(
    "saved_reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("as_of", sa.DateTime, nullable=False, index=True),
    sa.Column("saved_at", sa.DateTime, nullable=False),
    sa.Column("saved_by", sa.String(SHORT_TEXT)),
)

# The answers of writes sent with an Idempotency-Key (the API's, and each run of a CLI
# command that writes): a retry with the same key gets the first answer back and writes
# nothing again. The key is written in the same transaction as what it answers for.
request_keys = sa.Table(
    "request_keys",
    metadata,
    sa.Column("who", sa.String(64), primary_key=True),  # the user's uid, or "local"
    sa.Column("key", sa.String(SHORT_TEXT), primary_key=True),
    sa.Column("request", sa.String(SHORT_TEXT), nullable=False),  # "POST /api/decisions"
    sa.Column("fingerprint", sa.String(64), nullable=False),  # SHA-256 of what was sent
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Column mappings a team set once (walkaway import --map / --mapping), one per source:
# ``source`` is a digest of the file headers the mapping reads, so the next export with
# those headers is read with it; ``mapping`` is its JSON (walkaway.importers.columns).
column_maps = sa.Table(
    "column_maps",
    metadata,
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("format", sa.String(32), nullable=False),
    sa.Column("mapping", sa.Text, nullable=False),
    sa.Column("saved_at", sa.DateTime, nullable=False),
)
