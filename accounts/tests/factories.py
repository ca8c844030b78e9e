from __future__ import annotations

import factory
from django.contrib.auth.models import Permission

from accounts.models import Robeing, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True  # permissions are a many-to-many: no save needed

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Faker("name", locale="ko_KR")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def permissions(self, create: bool, codenames: list[str] | None, **kwargs) -> None:
        """UserFactory(permissions=["view_conversationlog"]): model permissions, by codename."""
        if create and codenames:
            self.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


class RobeingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Robeing
        django_get_or_create = ("robeing_id",)

    robeing_id = factory.Sequence(lambda n: f"rb{9000 + n}")
    name = factory.Sequence(lambda n: f"Robeing {n}")
