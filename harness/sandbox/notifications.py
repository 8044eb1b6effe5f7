"""`GET /notifications`: what was sent to whom, between a required since and until."""

from __future__ import annotations

from datetime import timedelta

from harness.sandbox.api import (
    Call,
    Reply,
    Route,
    includes,
    invalid,
    page_of,
    paginated,
    query_time,
)
from harness.sandbox.records import Notification
from harness.sandbox.render import Json, present, stamp
from harness.sandbox.users import render_user

FILTERS = ("sms_notification", "email_notification", "phone_notification", "push_notification")
# "The size of the date range must be less than 3 months."
MAX_RANGE = timedelta(days=90)


def list_notifications(call: Call) -> Reply:
    """List notifications started in [since, until], oldest first, optionally of one type."""
    since, until = query_time(call, "since"), query_time(call, "until")
    if since is None or until is None:
        raise invalid("since and until are both required.")
    if until < since:
        raise invalid("until must be after since.")
    if until - since >= MAX_RANGE:
        raise invalid("The date range must be less than 3 months.")
    kind = call.request.args.get("filter")
    if kind is not None and kind not in FILTERS:
        raise invalid(f"filter must be one of {', '.join(FILTERS)}.")
    page = page_of(call)
    with_users = "users" in includes(call)
    with call.account.lock:
        found = [
            n
            for n in call.account.notifications.values()
            if since <= n.started_at <= until and (kind is None or n.type == kind)
        ]
        body = paginated("notifications", found, page, lambda n: render_notification(call, n, with_users))
    return Reply(200, body)


def render_notification(call: Call, notification: Notification, with_user: bool) -> Json:
    """Render a notification; include[]=users puts the whole user in place of the reference."""
    user = call.account.users.get(notification.user_id)
    return {
        "id": notification.id,
        "type": notification.type,
        "started_at": stamp(notification.started_at),
        # Push notifications have no address; the spec's example lists them without one.
        **present(address=notification.address),
        "user": render_user(call, user, frozenset())
        if with_user and user is not None
        else call.refs.user(notification.user_id),
    }


ROUTES = (Route("/notifications", "GET", list_notifications),)
