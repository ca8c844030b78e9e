"""The base every app builds on: one error shape and its exceptions, the API
plumbing (base views, validation, pagination, JSON), the read-only admin and
storage helpers. It imports no app of this project."""
