"""v11: what a lead made from a department warning records (the leads register): its channel (dept_warnings.
lead_source: 信访信息 for a 信访/12317 list, else none — 部门筛查预警) and the day that channel received it
(dept_warnings.lead_date: the list's own 受理日期 of the row). Warnings of an older ledger have neither."""

import sqlalchemy as sa
from alembic import op

from excel_bridge.store.revisions.frozen import Day, Words, set_version

revision = "v11"
down_revision = "v10"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("dept_warnings", sa.Column("lead_source", Words))
    op.add_column("dept_warnings", sa.Column("lead_date", Day))
    set_version(11)
