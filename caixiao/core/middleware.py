"""Language choice (SPEC: zh-Hans is the default UI language, English the second).

The staff UI follows what the user chose — the language cookie set by the switch, else the user's
profile language — and otherwise shows zh-Hans, whatever the browser's Accept-Language says: a
company's screens should not change language with each employee's browser. API clients, which have
no switch, get error messages in the language of their Accept-Language header."""

from django.conf import settings
from django.utils import translation


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
