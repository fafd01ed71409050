from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from caixiao.accounts import selectors as account_selectors
from caixiao.accounts import services as account_services
from caixiao.core.errors import DomainError
from caixiao.notifications import selectors as notification_selectors
from caixiao.web.forms import APITokenForm, add_domain_error
from caixiao.web.navigation import shortcuts_for

WORKBENCH_TODOS = 10


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def workbench(request):
    todos = list(notification_selectors.list_todos(user=request.user)[:WORKBENCH_TODOS])
    return render(request, "web/workbench.html", {"todos": todos, "shortcuts": shortcuts_for(request.user)})


@login_required
def api_tokens(request):
    """The user's own API tokens (X9): create one (its secret is shown once, never stored), revoke."""
    form = APITokenForm(request.POST or None)
    raw_token = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw_token = account_services.create_api_token(
                user=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at(),
                actor=request.user)
        except DomainError as err:
            add_domain_error(form, err, aliases={"expires_at": "expires_on"})
        else:
            messages.success(request, _("Created the token “%(name)s”.") % {"name": token.name})
            form = APITokenForm()
    tokens = account_selectors.list_api_tokens(user=request.user)
    return render(request, "web/api_tokens.html", {"form": form, "tokens": tokens, "raw_token": raw_token})


@login_required
@require_POST
def revoke_api_token(request, pk: int):
    try:
        token = account_services.revoke_api_token(token_id=pk, actor=request.user)
    except DomainError as err:
        messages.error(request, str(err.message))
    else:
        messages.success(request, _("Revoked the token “%(name)s”.") % {"name": token.name})
    return redirect("web:api-tokens")
