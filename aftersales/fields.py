from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """Stores the value encrypted with the deployment's field key; reads it back in clear."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)
