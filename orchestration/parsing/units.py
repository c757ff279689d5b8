"""Units printed in the bulletin, as exact multipliers to yuan / US dollars."""

from decimal import Decimal

YI = Decimal(100_000_000)  # 亿元
WAN = Decimal(10_000)  # 万元
MILLION = Decimal(1_000_000)  # 百万美元
