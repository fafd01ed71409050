"""Error codes of the rule engine (machine-readable ``code`` of the 4xx answer)."""

from django.utils.translation import gettext_lazy as _

from caixiao.core.errors import Conflict, ValidationFailed


class RuleCodes:
    UNKNOWN_SUBJECT = "unknown_subject"
    UNKNOWN_TRIGGER = "unknown_trigger"
    UNKNOWN_ACTION = "unknown_action"
    INVALID_ACTION_PARAMS = "invalid_action_params"
    BUILTIN_RULE = "builtin_rule"


class ChangedSince(Conflict):
    code = "changed_since"
    default_message = _("The record was changed after the rule changed it; revert it by hand.")


class NotRevertible(Conflict):
    code = "not_revertible"
    default_message = _("This change cannot be reverted.")


class AlreadyReverted(Conflict):
    code = "already_reverted"
    default_message = _("This change was already reverted.")


class InvalidRule(ValidationFailed):
    code = "invalid_rule"
