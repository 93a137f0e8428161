"""Chinese names for synthetic people (the demo district, the demo department lists): common surnames of
northern Guangdong and given names, drawn from a seeded generator so a seed gives the same people; and the
generated village both demo modules pass around (here, so the department lists need not import the demo)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

SURNAMES = "陈李黄张刘王林吴邓何罗谢曾梁钟朱赖叶廖邱蔡温赵周许郑彭江欧潘"
GIVEN = ("伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 建华 志强 海燕 国平 "
         "丽华 金凤 伟明 振华 春梅 荣 亮 辉 玉兰 文 华 晓东 建国 少芳 永红 锦华 雪梅").split()


def person_name(rng: random.Random, surname: str | None = None) -> str:
    """A full name: the surname given (a family's), else a random one, and a random given name."""
    return (surname or rng.choice(SURNAMES)) + rng.choice(GIVEN)


@dataclass
class Village:
    """One generated village: its sheets' rows (schema keys) and the mistakes planted in them."""

    town: str
    name: str
    rows: dict[str, list[dict[str, Any]]]
    mistakes: list[str] = field(default_factory=list)
