"""v12: what the writer of a workbook the system placed asked of XlsxWriter (outputs.digest, writers.digest): a
town's 镇级核查表 is written again only when it would differ. Records of an older ledger have none (written
again once)."""

import sqlalchemy as sa
from alembic import op

from excel_bridge.store.revisions.frozen import Words, set_version

revision = "v12"
down_revision = "v11"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outputs", sa.Column("digest", Words))
    set_version(12)
