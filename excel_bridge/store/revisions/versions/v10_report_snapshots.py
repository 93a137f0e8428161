"""v10: the monthly 通报's numbers, kept as first reported (report_snapshots: one row per month and table)."""

import sqlalchemy as sa
from alembic import op

from excel_bridge.store.revisions.frozen import Doc, Stamp, Words, set_version

revision = "v10"
down_revision = "v9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_snapshots",
        sa.Column("month", Words, nullable=False),
        sa.Column("name", Words, nullable=False),
        sa.Column("made_by", Words, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("made_at", Stamp, nullable=False),
        sa.Column("data", Doc, nullable=False),
        sa.PrimaryKeyConstraint("month", "name"),
    )
    set_version(10)
