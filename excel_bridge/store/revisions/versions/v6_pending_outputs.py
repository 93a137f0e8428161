"""v6: outputs to write again (a failed returned copy is retried, not forgotten)."""

import sqlalchemy as sa
from alembic import op

from excel_bridge.store.revisions.frozen import Stamp, Words, set_version

revision = "v6"
down_revision = "v5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_outputs",
        sa.Column("kind", Words, nullable=False),
        sa.Column("town", Words, nullable=False),
        sa.Column("village", Words, nullable=False),
        sa.Column("since", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("kind", "town", "village"),
    )
    set_version(6)
