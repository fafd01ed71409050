from django import forms
from django.utils.translation import gettext_lazy as _

from caixiao.notifications.models import WebhookFormat


class WebhookSubscriptionForm(forms.Form):
    """Parses the fields; ``notifications.webhooks`` validates them (URL, secret, event types)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    event_types = forms.CharField(
        label=_("Event types"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line or separated by commas; patterns such as sales.* or * are allowed."))
    url = forms.CharField(label=_("Target URL"), max_length=500,
                          help_text=_("An http:// or https:// address whose host can be resolved."))
    secret = forms.CharField(label=_("Secret"), max_length=128, required=False,
                             help_text=_("At least 16 characters, used to sign each payload. Leave empty to "
                                         "generate one (when creating) or to keep the current one."))
    format = forms.ChoiceField(label=_("Format"), choices=WebhookFormat.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        data["event_types"] = [p.strip() for p in data["event_types"].replace("\n", ",").split(",") if p.strip()]
        return data
