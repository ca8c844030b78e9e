from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import permissions

from accounts.selectors import RobeingPrincipal, robeing_get

if TYPE_CHECKING:  # DRF imports its settings (and so this module) from rest_framework.views.
    from rest_framework.request import Request
    from rest_framework.views import APIView


# The group a migration makes (accounts/migrations/0002_read_only_operators.py):
# browse logs, dashboard, growth, settings and reviews; change nothing.
READ_ONLY_OPERATORS = "읽기 전용 운영자 · Read-only operators"

# HEAD and OPTIONS read what GET reads.
_READ_ALIASES = {"HEAD": "GET", "OPTIONS": "GET"}


def staff_permissions_needed(view: APIView, method: str) -> tuple[str, ...] | None:
    """The model permissions (`app.codename`) a staff user needs for `method`
    on `view`, from the view's `staff_permissions`, the same permissions the
    admin asks for. None: the view declares nothing for it (refused)."""
    table: dict[str, tuple[str, ...]] = getattr(view, "staff_permissions", {})
    return table.get(_READ_ALIASES.get(method, method))


def _staff_allowed(permission: permissions.BasePermission, request: Request, view: APIView) -> bool:
    user = request.user
    if not (user.is_staff and user.is_active):
        permission.message = "Only staff accounts can use this endpoint."
        return False
    needed = staff_permissions_needed(view, request.method)
    if needed is None:
        # Fail closed: an endpoint nobody gave permissions to is nobody's.
        permission.message = f"{request.method} is not open to staff accounts here."
        return False
    missing = [name for name in needed if not user.has_perm(name)]
    if missing:
        permission.message = (
            "Your account lacks the permission this needs: " + ", ".join(missing) + "."
        )
        return False
    return True


class CanAccessRobeing(permissions.BasePermission):
    """A bot reaches only its own robeing's URLs; staff users reach every robeing,
    with the model permissions the admin would ask of them (the view's
    `staff_permissions`: viewing logs needs `view_conversationlog`, and so on).

    Checked before the robeing is looked up, so a bot cannot even learn whether
    another robeing exists (403 either way). A bot's key proves its robeing
    exists; staff pay one query and get 404 for an unknown robeing.
    """

    message = "This API key cannot access another robeing's data."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        if isinstance(user, RobeingPrincipal):
            robeing_id = view.kwargs.get("robeing_id")
            return robeing_id is not None and robeing_id == user.robeing_id
        if not _staff_allowed(self, request, view):
            return False
        if "robeing_id" in view.kwargs:
            robeing_get(robeing_id=view.kwargs["robeing_id"])  # NotFound: 404
        return True


class IsStaff(permissions.BasePermission):
    """Staff only (a bot's key is refused), with the view's `staff_permissions`."""

    message = "This endpoint is for staff accounts, not API keys."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if user is None or not user.is_authenticated or isinstance(user, RobeingPrincipal):
            return False
        return _staff_allowed(self, request, view)
