"""Template filters for figures: ``{{ value|qty }}``, ``{{ value|money }}``, ``{{ value|percent }}``
(caixiao/web/display.py), so templates format and never compute."""

from django import template

from caixiao.web import display

register = template.Library()

register.filter("qty", display.qty)
register.filter("money", display.money)
register.filter("percent", display.percent)
