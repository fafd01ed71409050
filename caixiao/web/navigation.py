"""The navigation by role: each entry names the permission that shows it (checked again by the view)."""

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: object
    url_name: str
    perm: str | None = None
    icon: str = "dot"


@dataclass(frozen=True)
class NavSection:
    label: object
    items: list[NavItem] = field(default_factory=list)


MENU: list[NavSection] = [
    NavSection(_("Workbench"), [NavItem(_("My workbench"), "web:workbench", None, "house")]),
]


def register_section(section: NavSection) -> None:
    MENU.append(section)


def menu_for(user) -> list[dict]:
    sections = []
    for section in MENU:
        items = []
        for item in section.items:
            if item.perm and not user.has_perm(item.perm):
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            items.append({"label": item.label, "url": url, "icon": item.icon})
        if items:
            sections.append({"label": section.label, "items": items})
    return sections
