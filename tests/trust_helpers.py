"""What the trust tests (tests/test_trust*.py) share: the town, the lead B, and how each file of a pass ended."""

from __future__ import annotations

from factory import HEAD_B, base_rows, review

TOWN = "马坝镇"


def lead_rows() -> dict:
    rows = base_rows()
    rows["review"] = [review(HEAD_B)]  # 评议通过, 公示 2021-11-02…06, ended: B goes to the town
    return rows


def statuses(report) -> list[tuple[str, str, str]]:
    return [(o.town, o.name, o.status) for o in report.files]
