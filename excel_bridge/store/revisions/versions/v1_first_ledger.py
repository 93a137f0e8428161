"""v1: the first ledger — submissions (one village per file), households, members, measures, reviews, issues, the
append-only event log, outputs, counters and meta with the row tokens' secret."""

import secrets

import sqlalchemy as sa
from alembic import op

from excel_bridge.store.revisions.frozen import Doc, Stamp, Words, events_append_only, set_version

revision = "v1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    meta = op.create_table("meta", sa.Column("key", Words, primary_key=True), sa.Column("value", Words, nullable=False))
    op.create_table("counters", sa.Column("name", Words, primary_key=True),
                    sa.Column("value", sa.Integer, nullable=False))
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", Words, nullable=False),
        sa.Column("kind", Words, nullable=False),
        sa.Column("status", Words, nullable=False),
        sa.Column("town", Words),
        sa.Column("village", Words),
        sa.Column("file_name", Words, nullable=False),
        sa.Column("archived_path", Words),
        sa.Column("received_at", Stamp, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Integer, nullable=False),
        sa.Column("households", sa.Integer, nullable=False),
        sa.Column("members", sa.Integer, nullable=False),
        sa.Column("feedback_path", Words),
        sa.Column("message", Words),
    )
    op.create_index("submissions_sha", "submissions", ["sha256"])
    op.create_index("submissions_village", "submissions", ["town", "village"])
    op.create_table(
        "households",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("household_no", Words),
        sa.Column("provisional", sa.Boolean, nullable=False),
        sa.Column("head_id", Words, nullable=False),
        sa.Column("head_name", Words),
        sa.Column("town", Words, nullable=False),
        sa.Column("village", Words, nullable=False),
        sa.Column("state", Words, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("opinion", Words, nullable=False),
        sa.Column("on_file", sa.Boolean, nullable=False),
        sa.Column("lead_date", sa.Date),
        sa.Column("identified_date", sa.Date),
        sa.Column("eliminated_date", sa.Date),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id")),
        sa.Column("row", sa.Integer),
        sa.Column("data", Doc, nullable=False),
        sa.Column("assessment", Doc, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Integer, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
    )
    op.create_index("households_place", "households", ["town", "village"])
    op.create_index("households_head", "households", ["head_id"])
    op.create_index("households_no", "households", ["household_no"])
    op.create_index("households_state", "households", ["state"])
    op.create_table(
        "members",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), nullable=False),
        sa.Column("person_id", Words),
        sa.Column("name", Words),
        sa.Column("town", Words, nullable=False),
        sa.Column("village", Words, nullable=False),
        sa.Column("sheet", Words),
        sa.Column("row", sa.Integer),
        sa.Column("data", Doc, nullable=False),
    )
    op.create_index("members_household", "members", ["household_id"])
    op.create_index("members_person", "members", ["person_id"])
    for name in ("measures", "reviews"):
        op.create_table(
            name,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), nullable=False),
            sa.Column("data", Doc, nullable=False),
        )
        op.create_index(f"{name}_household", name, ["household_id"])
    op.create_table(
        "issues",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("code", Words, nullable=False),
        sa.Column("severity", Words, nullable=False),
        sa.Column("sheet", Words),
        sa.Column("row", sa.Integer),
        sa.Column("column_name", Words),
        sa.Column("value", Words),
        sa.Column("message", Words, nullable=False),
        sa.Column("hint", Words, nullable=False),
    )
    op.create_index("issues_submission", "issues", ["submission_id"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", Stamp, nullable=False),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id")),
        sa.Column("event", Words, nullable=False),
        sa.Column("from_state", Words),
        sa.Column("to_state", Words),
        sa.Column("level", Words, nullable=False),
        sa.Column("person", Words),
        sa.Column("source_sha256", Words),
        sa.Column("comment", Words),
    )
    op.create_index("events_household", "events", ["household_id"])
    events_append_only(True)
    op.create_table(
        "outputs",
        sa.Column("path", Words, primary_key=True),
        sa.Column("sha256", Words, nullable=False),
        sa.Column("kind", Words, nullable=False),
        sa.Column("written_at", Stamp, nullable=False),
    )
    op.bulk_insert(meta, [{"key": "token_secret", "value": secrets.token_hex(16)}])
    set_version(1)
