from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import permissions

from accounts.selectors import RobeingPrincipal, robeing_get

if TYPE_CHECKING:  # DRF imports its settings (and so this module) from rest_framework.views.
    from rest_framework.request import Request
    from rest_framework.views import APIView


class CanAccessRobeing(permissions.BasePermission):
    """A bot reaches only its own robeing's URLs; staff users reach every robeing.

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
        if not (user.is_staff and user.is_active):
            return False
        if "robeing_id" in view.kwargs:
            robeing_get(robeing_id=view.kwargs["robeing_id"])  # NotFound: 404
        return True


class IsStaff(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(
            user is not None
            and user.is_authenticated
            and not isinstance(user, RobeingPrincipal)
            and user.is_staff
        )
