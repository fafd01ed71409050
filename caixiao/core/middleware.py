"""Language choice (SPEC: zh-Hans is the default UI language, English the second).

The staff UI follows what the user chose — the language cookie set by the switch, else the user's
profile language — and otherwise shows zh-Hans, whatever the browser's Accept-Language says: a
company's screens should not change language with each employee's browser. API clients, which have
no switch, get error messages in the language of their Accept-Language header."""

import contextlib
import json
from typing import Any

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext


def _supported(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            language = translation.get_language_from_request(request)
        else:
            user = getattr(request, "user", None)
            language = (_supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
                        or _supported(getattr(user, "language", "") if user is not None else "")
                        or settings.LANGUAGE_CODE)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


def _nul_paths(value: Any, path: str = "") -> list[str]:
    if isinstance(value, str):
        return [path or "__all__"] if "\x00" in value else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            found += [child] if "\x00" in str(key) else _nul_paths(item, child)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _nul_paths(item, f"{path}.{i}" if path else str(i))
    return found


class NulCharacterMiddleware:
    """PostgreSQL cannot store or compare text holding a NUL character, so one typed into a search box
    or sent in a JSON body would end as a 500. Refuse it before any view runs: 422 with the field names
    in the API's error shape under ``/api/``, 400 elsewhere. (Django's form fields already refuse NUL
    in posted forms.) Cheap: a JSON body is parsed only when its bytes contain an escaped NUL."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        paths = [key for key, values in request.GET.lists() if "\x00" in key or any("\x00" in v for v in values)]
        body = request.body if request.content_type == "application/json" else b""
        if b"\\u0000" in body.lower():
            with contextlib.suppress(ValueError):  # not JSON: the view answers its own 400
                paths += _nul_paths(json.loads(body))
        if not paths:
            return self.get_response(request)
        message = gettext("Remove the NUL character.")
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "validation_error", "message": gettext("Some fields are not valid."),
                                 "fields": {p: [message] for p in paths}}, status=422)
        return HttpResponseBadRequest(message)
