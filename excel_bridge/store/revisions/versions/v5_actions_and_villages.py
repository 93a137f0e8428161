"""v5: what a step did becomes a column (events.action) instead of the start of its comment; a file's villages a
table (submission_villages) instead of one "、"-joined string in submissions.village."""

import datetime as dt

import sqlalchemy as sa
from alembic import op

from excel_bridge.store.revisions.frozen import Words, events_append_only, set_version

revision = "v5"
down_revision = "v4"
branch_labels = None
depends_on = None

_EVENTS = sa.table("events", sa.column("id", sa.Integer), sa.column("event", Words), sa.column("comment", Words),
                   sa.column("action", Words), sa.column("at", sa.Text), sa.column("effective_date", sa.Date))


def _split(event: str, comment: str | None) -> tuple[str | None, str | None]:
    """(action, comment): "退回：户籍有误" → ("退回", "户籍有误"); "评议公示通过" → ("评议公示通过", None)."""
    if event != "transition":
        return event, comment
    if comment is None:
        return None, None
    action = comment.split("：", 1)[0]
    if comment == action:
        return action, None
    return action, comment[len(action) + 1:]


def upgrade() -> None:
    conn = op.get_bind()
    op.add_column("events", sa.Column("action", Words))
    events_append_only(False)
    rows = conn.execute(sa.text("SELECT id, event, comment, at, effective_date FROM events")).fetchall()
    changes = []
    for event_id, event, comment, at, effective in rows:
        action, said = _split(event, comment)
        day = effective or dt.date.fromisoformat(str(at)[:10])
        changes.append({"k": event_id, "a": action, "c": said, "d": day})
    if changes:
        conn.execute(sa.update(_EVENTS).where(_EVENTS.c.id == sa.bindparam("k"))
                     .values(action=sa.bindparam("a"), comment=sa.bindparam("c"),
                             effective_date=sa.bindparam("d", type_=sa.Date)), changes)
    events_append_only(True)
    villages = op.create_table(
        "submission_villages",
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("town", Words, nullable=False),
        sa.Column("village", Words, nullable=False),
        sa.PrimaryKeyConstraint("submission_id", "town", "village"),
    )
    op.create_index("submission_villages_place", "submission_villages", ["town", "village"])
    rows = conn.execute(sa.text(
        "SELECT id, town, village FROM submissions WHERE town IS NOT NULL AND village IS NOT NULL"
        " AND kind = 'village' AND status = 'applied'")).fetchall()
    places = {(sid, town, village) for sid, town, joined in rows for village in joined.split("、") if village}
    if places:
        op.bulk_insert(villages, [{"submission_id": s, "town": town, "village": v} for s, town, v in sorted(places)])
    op.drop_index("submissions_village", table_name="submissions")
    op.drop_column("submissions", "village")
    op.create_index("submissions_town", "submissions", ["town"])
    set_version(5)
