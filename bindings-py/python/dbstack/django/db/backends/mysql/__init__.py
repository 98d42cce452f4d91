"""``ENGINE = "dbstack.django.db.backends.mysql"``: Django's MySQL/MariaDB backend with the
credential keeper's current credentials (``dbstack.configure`` selects it for Vault aliases)."""
