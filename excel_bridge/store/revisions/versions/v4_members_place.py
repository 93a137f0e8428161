"""v4: a village's people found by place (members_place)."""

from alembic import op

from excel_bridge.store.revisions.frozen import set_version

revision = "v4"
down_revision = "v3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("members_place", "members", ["town", "village"])
    set_version(4)
