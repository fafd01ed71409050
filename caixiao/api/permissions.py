"""Server-side permission checks for API endpoints (X2)."""

from caixiao.core.errors import PermissionDenied


def authorize(request, *perms: str) -> None:
    """Raise ``PermissionDenied`` (403) unless the user holds every permission named."""
    user = request.user
    if not user.is_authenticated or not user.has_perms(perms):
        raise PermissionDenied()
