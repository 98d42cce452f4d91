"""The Python peer of `dbstack resolve --json` for the Vault benchmark (scripts/bench/vault.sh).

What a Django project does today without dbstack: hvac for Vault (token auth checked with
lookup-self, the four KV v2 secrets of the default layout, one dynamic database credential),
dj-database-url for DATABASES, django-environ for the cache URL, printed as JSON.
Reads are sequential, as hvac's synchronous client does them.
"""

import json
import os
import sys
from urllib.parse import quote

import dj_database_url
import environ
import hvac


def main():
    env = environ.Env()
    client = hvac.Client(url=os.environ["VAULT_ADDR"], token=os.environ["VAULT_TOKEN"], timeout=2)
    client.auth.token.lookup_self()
    kv = {}
    for service in ("supabase", "dragonfly", "ragflow", "rocketmq"):
        answer = client.secrets.kv.v2.read_secret_version(
            path=f"dbstack/{service}", mount_point="secret", raise_on_deleted_version=True
        )
        kv[service] = answer["data"]["data"]
    creds = client.secrets.database.generate_credentials(name="app", mount_point="database")
    lease = {k: creds[k] for k in ("lease_id", "lease_duration", "renewable")}
    user, password = creds["data"]["username"], creds["data"]["password"]

    supabase = kv["supabase"]
    host = env.str("SUPABASE_DB_HOST", default="localhost")
    databases = {
        "default": dj_database_url.parse(
            f"postgres://{quote(user)}:{quote(password)}@{host}:5432/app",
            conn_max_age=0,
        ),
        "agent_db": dj_database_url.parse(
            f"postgres://{quote(supabase['username'])}:{quote(supabase['password'])}@{host}:5432/agent",
            conn_max_age=0,
        ),
    }
    redis_url = f"redis://:{quote(kv['dragonfly']['password'])}@localhost:6379/0"
    os.environ.setdefault("DBSTACK_PEER_CACHE_URL", redis_url)
    caches = {"default": env.cache_url("DBSTACK_PEER_CACHE_URL")}
    json.dump(
        {
            "DATABASES": databases,
            "CACHES": caches,
            "CHANNEL_LAYERS": {
                "default": {
                    "BACKEND": "channels_redis.core.RedisChannelLayer",
                    "CONFIG": {"hosts": [redis_url]},
                }
            },
            "RAGFLOW": {"BASE_URL": "http://localhost:9380", "API_KEY": kv["ragflow"]["api_key"]},
            "ROCKETMQ": {
                "NAMESRV_ADDR": "localhost:9876",
                "ACCESS_KEY": kv["rocketmq"]["access_key"],
                "SECRET_KEY": kv["rocketmq"]["secret_key"],
            },
            "lease": lease,
        },
        sys.stdout,
        default=str,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
