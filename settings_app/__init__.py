"""A robeing's settings (robeing_settings): the schema, the cached reads every
API request makes, merge-patch writes and their history. Above accounts."""
