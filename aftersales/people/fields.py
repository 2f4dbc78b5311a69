from django.core import checks
from django.db import models

from aftersales.people import crypto

# Instance attribute listing the encrypted fields that could not be decrypted when loaded.
UNDECRYPTABLE_ATTR = "_undecryptable_fields"


class UndecryptableValueError(Exception):
    """Refuses to save a model whose encrypted field could not be decrypted when read."""

    def __init__(self, model: str, field: str):
        super().__init__(
            f"{model}.{field} could not be decrypted with the configured FIELD_ENCRYPTION_KEY; "
            "saving it would destroy the stored value. Fix the key list first."
        )


class EncryptedModelMixin:
    """Remembers which encrypted fields failed to decrypt, so a save cannot overwrite them."""

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # field_names are attnames; deferred fields are absent from both lists.
        failed = {
            name for name, value in zip(field_names, values, strict=False)
            if isinstance(value, crypto.UndecryptableValue)
        }
        if failed:
            instance.__dict__[UNDECRYPTABLE_ATTR] = failed
        return instance

    @property
    def undecryptable_fields(self) -> set[str]:
        return set(self.__dict__.get(UNDECRYPTABLE_ATTR, ()))

    def save(self, *args, **kwargs):
        # Refused before Django opens its save block, so the caller's transaction stays
        # usable; the field refuses again in case a save path bypasses this method.
        failed = self.undecryptable_fields
        update_fields = kwargs.get("update_fields")
        if failed and update_fields is not None:
            names = set(update_fields)
            failed = {f.attname for f in self._meta.concrete_fields
                      if f.attname in failed and (f.name in names or f.attname in names)}
        if failed:
            raise UndecryptableValueError(type(self).__name__, ", ".join(sorted(failed)))
        return super().save(*args, **kwargs)


class EncryptedTextField(models.TextField):
    """Stores the value encrypted with the deployment's field key; reads it back in clear.

    A stored value that no configured key decrypts reads as an empty ``UndecryptableValue``
    and the model refuses to be saved over it (``UndecryptableValueError``).
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        try:
            return crypto.decrypt(value)
        except crypto.Undecryptable:
            return crypto.UndecryptableValue(value)

    def pre_save(self, model_instance, add):
        # Also catches a value derived from the unreadable one (e.g. normalised to "").
        if self.attname in model_instance.__dict__.get(UNDECRYPTABLE_ATTR, ()):
            raise UndecryptableValueError(type(model_instance).__name__, self.name)
        return super().pre_save(model_instance, add)

    def get_prep_value(self, value):
        if isinstance(value, crypto.UndecryptableValue):
            raise UndecryptableValueError(self.model.__name__, self.name)
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        if not issubclass(self.model, EncryptedModelMixin):
            errors.append(checks.Error(
                f"{self.model.__name__} has an encrypted field but not EncryptedModelMixin.",
                hint="Without it a value that failed to decrypt could be saved over.",
                obj=self, id="aftersales.E010",
            ))
        return errors
