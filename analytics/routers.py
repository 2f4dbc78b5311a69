"""Where analytics reads run: the read replica when one is configured, else the primary.

The heavy reads (ledger pages, exports, dashboard aggregates) choose their database
explicitly with ``.using(analytics_db())``. A global router that sent every read to the
replica would also send the reads that must see a write just made (a form saved, then the
page redisplayed; a service's ``select_for_update``) to a copy that may lag behind. Naming
the database where the read is written keeps that choice visible and local.

The router below only makes the explicit choice safe: whatever was read from the replica
is written to the primary, objects from both may be related, and only the primary is
migrated.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"


def analytics_db() -> str:
    """The alias analytics reads use: ``replica`` if configured, else the primary."""
    return REPLICA if REPLICA in connections.settings else DEFAULT_DB_ALIAS


class PrimaryWritesRouter:
    """Writes go to the primary, even for objects that were read from the replica."""

    def db_for_read(self, model, **hints):
        return None

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        aliases = {DEFAULT_DB_ALIAS, REPLICA}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == REPLICA:
            return False
        return None
