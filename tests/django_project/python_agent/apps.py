from django.apps import AppConfig


class PythonAgentConfig(AppConfig):
    name = "python_agent"
    label = "python_agent"
    default_auto_field = "django.db.models.BigAutoField"
