//! Database and cache URL parsing, matching dj-database-url 3.x and django-environ.
//!
//! (Interface fixed; implementation in progress.)

use serde_json::{Map, Value};

/// What dj-database-url's `parse()` returns, as typed fields.
#[derive(Clone, PartialEq)]
pub struct DatabaseConfig {
    /// Django `ENGINE`, e.g. `django.db.backends.postgresql`.
    pub engine: String,
    /// `NAME` (percent-decoded path; `:memory:` for a bare sqlite URL).
    pub name: String,
    /// `USER` (percent-decoded).
    pub user: String,
    /// `PASSWORD` (percent-decoded). A secret: never printed by `Debug`.
    pub password: String,
    /// `HOST`: lower-cased host, IPv6 without brackets, or a decoded socket path.
    pub host: String,
    /// `PORT`: `None` renders as `""` the way dj-database-url does.
    pub port: Option<u16>,
    /// `OPTIONS` from the query string; `None` when the query is empty.
    pub options: Option<Map<String, Value>>,
}

/// A `redis://` or `rediss://` URL for Django's RedisCache and channels_redis.
#[derive(Clone, PartialEq)]
pub struct CacheUrl {
    /// `redis` or `rediss`.
    pub scheme: String,
    /// ACL user name (percent-decoded), empty when absent.
    pub username: String,
    /// Password (percent-decoded), empty when absent. A secret.
    pub password: String,
    /// Host (IPv6 without brackets).
    pub host: String,
    /// Port, `None` when the URL has none.
    pub port: Option<u16>,
    /// Database index from the path (`/0`), `None` when absent.
    pub db: Option<u32>,
    /// Raw query pairs, decoded, in order.
    pub query: Vec<(String, String)>,
}

/// Why a URL could not be parsed. Never contains the URL's credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("not implemented yet")]
    Unimplemented,
}

/// Parses a database URL the way dj-database-url 3.x does.
pub fn parse_database_url(_url: &str) -> Result<DatabaseConfig, UrlError> {
    Err(UrlError::Unimplemented)
}

/// Parses a `redis://` / `rediss://` URL.
pub fn parse_cache_url(_url: &str) -> Result<CacheUrl, UrlError> {
    Err(UrlError::Unimplemented)
}

impl DatabaseConfig {
    /// Renders back to a URL that parses to the same config (passwords revealed).
    pub fn to_url(&self) -> String {
        String::new()
    }
}

impl CacheUrl {
    /// Django RedisCache `LOCATION`, as django-environ renders it; the password masked unless `reveal`.
    pub fn location(&self, _reveal: bool) -> String {
        String::new()
    }
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("engine", &self.engine)
            .field("name", &self.name)
            .field("user", &self.user)
            .field("password", &crate::secret::MASK)
            .field("host", &self.host)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for CacheUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheUrl")
            .field("scheme", &self.scheme)
            .field("username", &self.username)
            .field("password", &crate::secret::MASK)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}
