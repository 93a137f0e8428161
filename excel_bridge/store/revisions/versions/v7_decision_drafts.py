"""v7: refused decisions keep what was typed (decision_drafts), shown again in the next copy of the workbook."""

import sqlalchemy as sa
from alembic import op

from excel_bridge.store.revisions.frozen import Doc, Stamp, Words, set_version

revision = "v7"
down_revision = "v6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decision_drafts",
        sa.Column("level", Words, nullable=False),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("households.id"), nullable=False),
        sa.Column("town", Words, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("decision", Words),
        sa.Column("comment", Words),
        sa.Column("person", Words),
        sa.Column("decided_on", sa.Date),
        sa.Column("flagged", Doc, nullable=False),
        sa.Column("at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("level", "household_id"),
    )
    set_version(7)
