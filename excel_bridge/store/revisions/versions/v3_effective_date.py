"""v3: the day an event counts for (events.effective_date)."""

import sqlalchemy as sa
from alembic import op

from excel_bridge.store.revisions.frozen import set_version

revision = "v3"
down_revision = "v2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("effective_date", sa.Date))
    set_version(3)
