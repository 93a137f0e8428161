"""v2: notes about refused decisions, shown in the next copy of the town's or district's workbook."""

import sqlalchemy as sa
from alembic import op

from excel_bridge.store.revisions.frozen import Stamp, Words, set_version

revision = "v2"
down_revision = "v1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decision_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", Stamp, nullable=False),
        sa.Column("level", Words, nullable=False),
        sa.Column("town", Words),
        sa.Column("message", Words, nullable=False),
        sa.Column("shown_at", Stamp),
    )
    set_version(2)
