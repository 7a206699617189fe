"""The audit log's filters as the API and the page take them."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.i18n import _
from app.models.audit import AuditAction
from app.services.audit import AuditFilter
from app.services.errors import Invalid

UK = ZoneInfo("Europe/London")


def utc(moment: datetime | None) -> datetime | None:
    """An instant a client gave, in UTC; without an offset it is taken as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise Invalid(_("That instant is out of range.")) from None


def _day(text: str, problem: str) -> datetime | None:
    """The day typed, or `problem` refused when it is not one."""
    text = text.strip()
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise Invalid(problem) from None
    return datetime.combine(day, time(), tzinfo=UK)


def page_filter(action: str, since: str, until: str) -> AuditFilter:
    """The page's form: an action by name (empty: any) and days in UK time, `until` being
    the last day shown."""
    chosen: AuditAction | None = None
    if action:
        try:
            chosen = AuditAction(action)
        except ValueError:
            raise Invalid(_("Choose an action from the list.")) from None
    start = _day(since, _("Type the from date as a day, month and year."))
    end = _day(until, _("Type the to date as a day, month and year."))
    if end is not None:
        try:
            end = datetime.combine(end.date() + timedelta(days=1), time(), tzinfo=UK)
        except OverflowError:
            end = None  # the last day there is: no end
    return AuditFilter(action=chosen, since=start, until=end)
