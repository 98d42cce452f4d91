"""Django database backends that take the credential keeper's current credentials."""
