"""``ENGINE = "dbstack.django.db.backends.postgresql"``: Django's PostgreSQL backend with the
credential keeper's current credentials (``dbstack.configure`` selects it for Vault aliases)."""
