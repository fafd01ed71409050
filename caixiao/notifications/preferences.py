"""Which event types reach a user by which channel (X3). A user's own ``NotificationPreference``
row wins; otherwise the defaults below apply: in-app always, e-mail for the roles listed."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from caixiao.notifications.models import Channel, NotificationPreference

# Event types people can be notified about, with a label for the preferences page.
NOTIFIABLE: dict[str, object] = {
    "sales.order.confirmed": _("A sales order of mine was confirmed"),
    "sales.delivery_notice.created": _("A delivery notice is waiting for my warehouse"),
    "sales.delivery_notice.shipped": _("A delivery notice of my order was shipped"),
    "inventory.stock.below_safety": _("Stock fell below safety stock"),
    "approvals.task.created": _("A document waits for my approval"),
    "approvals.task.reminded": _("A reminder of a document waiting for my approval"),
    "approvals.instance.approved": _("A document I submitted was approved"),
    "approvals.instance.rejected": _("A document I submitted was rejected"),
    "approvals.instance.returned": _("A document I submitted was returned for changes"),
}

# event type → roles that get e-mail by default (when the user has an address).
EMAIL_BY_DEFAULT: dict[str, set[str]] = {
    "sales.order.confirmed": {"sales_manager"},
    "sales.delivery_notice.shipped": {"sales_rep", "sales_manager"},
    "inventory.stock.below_safety": {"buyer", "purchasing_manager"},
    "approvals.task.reminded": {"sales_manager", "purchasing_manager", "finance_director", "executive"},
    "approvals.instance.rejected": {"sales_rep", "buyer"},
    "approvals.instance.returned": {"sales_rep", "buyer"},
}


def default_channels(user, event_type: str) -> set[str]:
    channels = {Channel.IN_APP.value}
    if user.email and EMAIL_BY_DEFAULT.get(event_type, set()) & user.role_codes:
        channels.add(Channel.EMAIL.value)
    return channels


def channels_for(user, event_type: str) -> set[str]:
    pref = NotificationPreference.objects.filter(user=user, event_type=event_type).first()
    if pref is None:
        return default_channels(user, event_type)
    return {c for c, on in ((Channel.IN_APP.value, pref.in_app), (Channel.EMAIL.value, pref.email and bool(user.email)))
            if on}


def preferences_for(user) -> list[dict]:
    """One row per notifiable event type with the channels in force, for the preferences page."""
    rows = {p.event_type: p for p in NotificationPreference.objects.filter(user=user)}
    result = []
    for event_type, label in NOTIFIABLE.items():
        pref = rows.get(event_type)
        channels = default_channels(user, event_type) if pref is None else {
            c for c, on in ((Channel.IN_APP.value, pref.in_app), (Channel.EMAIL.value, pref.email)) if on}
        result.append({"event_type": event_type, "label": label, "in_app": Channel.IN_APP.value in channels,
                       "email": Channel.EMAIL.value in channels, "custom": pref is not None})
    return result
