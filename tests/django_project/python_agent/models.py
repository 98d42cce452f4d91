"""The agent's app (label `python_agent`): the stack routes it to the `agent_db` alias."""

from django.db import models


class AgentRun(models.Model):
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, default="pending")
    started = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"


class AgentMessage(models.Model):
    run = models.ForeignKey(AgentRun, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=20)
    content = models.TextField()

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:40]}"
