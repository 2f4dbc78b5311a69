"""Helpers for the eligibility engine's table tests."""

from dataclasses import replace
from datetime import date, timedelta

from aftersales.eligibility import Facts

# A Monday far from any holiday: windows counted from it end on ordinary working days.
MONDAY = date(2026, 3, 2)


def facts(d: int = 0, *, signed: date = MONDAY, **changes) -> Facts:
    """A distance sale signed for on ``signed`` and notified ``d`` days later."""
    base = Facts(sale_channel="DISTANCE", signed_at=signed,
                 notice_at=signed + timedelta(days=d), goods_complete=True)
    return replace(base, **changes)


def sanbao(d: int = 0, **changes) -> Facts:
    """A 三包 catalogue item in validity with a performance fault, ``d`` days after day 0."""
    defaults = {"in_sanbao_catalogue": True, "in_validity": True, "fault_type": "PERFORMANCE"}
    return facts(d, **{**defaults, **changes})


def no_holidays(_day: date) -> bool:
    return False
