from __future__ import annotations

import factory

from accounts.models import Robeing, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Faker("name", locale="ko_KR")
    password = factory.django.Password("correct horse battery staple")


class RobeingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Robeing
        django_get_or_create = ("robeing_id",)

    robeing_id = factory.Sequence(lambda n: f"rb{9000 + n}")
    name = factory.Sequence(lambda n: f"Robeing {n}")
