"""v9: 认定类别 (households.category), fixed at the district's 同意; an identified household of an older ledger takes
the category its data shows (the rules' suggestion stored with it, else 脱贫户 → 脱贫不稳定户, else 边缘易致贫户)."""

import json

import sqlalchemy as sa
from alembic import op

from excel_bridge.store.revisions.frozen import Words, set_version

revision = "v9"
down_revision = "v8"
branch_labels = None
depends_on = None

_CATEGORIES = ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")


def _doc(value: object) -> dict:
    """A JSON column as read here (SQLite hands back text, PostgreSQL a dict)."""
    if isinstance(value, (str, bytes)):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


def upgrade() -> None:
    op.add_column("households", sa.Column("category", Words))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, data, assessment FROM households WHERE identified_date IS NOT NULL"))
    updates = []
    for hid, data, assessment in rows.fetchall():
        suggested = _doc(assessment).get("category")
        if suggested not in _CATEGORIES:
            suggested = _CATEGORIES[0] if _doc(data).get("household_type") == "脱贫户" else _CATEGORIES[1]
        updates.append({"hid": hid, "category": suggested})
    if updates:
        conn.execute(sa.text("UPDATE households SET category = :category WHERE id = :hid"), updates)
    set_version(9)
