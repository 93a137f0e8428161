"""v8: department lists (部门筛查预警): the lists received, their warnings, the people in no household."""

import sqlalchemy as sa
from alembic import op

from excel_bridge.store.revisions.frozen import Doc, Stamp, Words, set_version

revision = "v8"
down_revision = "v7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dept_lists",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("department", Words),
        sa.Column("file_name", Words, nullable=False),
        sa.Column("sha256", Words, nullable=False),
        sa.Column("fingerprint", Words),
        sa.Column("received_at", Stamp, nullable=False),
        sa.Column("received_date", sa.Date, nullable=False),
        sa.Column("archived_path", Words),
        sa.Column("status", Words, nullable=False),
        sa.Column("row_count", sa.Integer, nullable=False),
        sa.Column("people", sa.Integer, nullable=False),
        sa.Column("invalid", sa.Integer, nullable=False),
        sa.Column("issues", sa.Integer, nullable=False),
        sa.Column("matched", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Integer, nullable=False),
        sa.Column("unmatched", sa.Integer, nullable=False),
        sa.Column("by_town", Doc),
        sa.Column("note_path", Words),
        sa.Column("message", Words),
    )
    op.create_index("dept_lists_department", "dept_lists", ["department"])
    op.create_index("dept_lists_sha", "dept_lists", ["sha256"])
    op.create_table(
        "dept_warnings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("department", Words, nullable=False),
        sa.Column("rule_id", Words, nullable=False),
        sa.Column("person_id", Words, nullable=False),
        sa.Column("name", Words),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), nullable=False),
        sa.Column("town", Words, nullable=False),
        sa.Column("village", Words, nullable=False),
        sa.Column("risk_type", Words),
        sa.Column("guarantee", Words),
        sa.Column("fact", Words, nullable=False),
        sa.Column("received_date", sa.Date, nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("status", Words, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("list_id", sa.Integer, sa.ForeignKey("dept_lists.id"), nullable=False),
        sa.Column("last_list_id", sa.Integer, sa.ForeignKey("dept_lists.id"), nullable=False),
        sa.Column("sheet", Words),
        sa.Column("row", sa.Integer),
        sa.Column("comment", Words),
        sa.Column("verified_by", Words),
        sa.Column("verified_date", sa.Date),
        sa.Column("source_sha256", Words),
        sa.Column("lead_created", sa.Boolean, nullable=False),
        sa.Column("closed_reason", Words),
        sa.Column("updated_at", Stamp, nullable=False),
    )
    op.create_index("dept_warnings_department", "dept_warnings", ["department", "status"])
    op.create_index("dept_warnings_town", "dept_warnings", ["town", "status"])
    op.create_index("dept_warnings_household", "dept_warnings", ["household_id"])
    op.create_table(
        "dept_unmatched",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("list_id", sa.Integer, sa.ForeignKey("dept_lists.id"), nullable=False),
        sa.Column("department", Words, nullable=False),
        sa.Column("person_id", Words, nullable=False),
        sa.Column("name", Words),
        sa.Column("rule_ids", Words, nullable=False),
        sa.Column("facts", Words, nullable=False),
        sa.Column("town", Words),
        sa.Column("place", Words, nullable=False),
        sa.Column("basis", Words, nullable=False),
        sa.Column("sheet", Words),
        sa.Column("row", sa.Integer),
    )
    op.create_index("dept_unmatched_list", "dept_unmatched", ["list_id"])
    set_version(8)
