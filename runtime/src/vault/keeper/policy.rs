//! The keeper's decisions, without I/O: given what Vault granted and a clock value
//! (milliseconds since the keeper's origin, injected by the caller), what to do next and when.
//!
//! The rules (Vault Agent's, plus the `max_ttl` gap Spring Cloud Vault users ran into):
//! - a renewable lease or token is renewed at 2/3 of its current TTL, asking for its first
//!   TTL again;
//! - when a renewal grants less than asked (the `max_ttl` cap) or the lease is not renewable,
//!   new credentials are fetched once a third of the asked TTL is left, so a connection is
//!   never opened with credentials that are about to expire; an expired lease is replaced at once;
//! - a token that cannot be extended is replaced by a new login (Kubernetes, AppRole) at the
//!   same point; a `VAULT_TOKEN` cannot be replaced, so it is reported once instead;
//! - KV secrets are re-read every `DBSTACK_KV_REFRESH`;
//! - a failed step is retried with jittered exponential backoff, never sooner than
//!   [`BACKOFF_BASE_MS`] / 2 and never later than a third of the asked TTL (at most
//!   [`BACKOFF_MAX_MS`]), so there is no busy loop and recovery follows Vault's return.

/// The first backoff after a failure, doubled on each further failure.
pub const BACKOFF_BASE_MS: u64 = 500;
/// The longest backoff.
pub const BACKOFF_MAX_MS: u64 = 60_000;

/// When a grant is renewed or replaced, and how it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    /// When the current grant (issue or renewal) was received.
    pub granted_at: u64,
    /// When the current grant ends; `None`: never (a root token).
    pub expires_at: Option<u64>,
    /// The TTL asked on each renewal: the first grant's.
    pub asked_ms: u64,
    pub renewable: bool,
    /// The last renewal granted less than asked: it cannot be extended any more.
    pub capped: bool,
    pub renewals: u32,
    /// Failures since the last success.
    pub failures: u32,
    /// Not before this (after a failure).
    pub retry_at: u64,
}

/// What to do with a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Extend it (`sys/leases/renew`, `auth/token/renew-self`).
    Renew,
    /// Replace it: new credentials for a lease, a new login for a token.
    Replace,
    /// It cannot be extended nor replaced (a `VAULT_TOKEN`): say so once.
    Report,
}

impl Clock {
    /// A fresh grant of `ttl_ms` (0 for a token without expiry) at `now`.
    pub fn issued(now: u64, ttl_ms: u64, renewable: bool) -> Clock {
        Clock {
            granted_at: now,
            expires_at: (ttl_ms > 0).then(|| now.saturating_add(ttl_ms)),
            asked_ms: ttl_ms,
            renewable,
            capped: false,
            renewals: 0,
            failures: 0,
            retry_at: now,
        }
    }

    /// A renewal answered at `now` with `ttl_ms`.
    pub fn renewed(&mut self, now: u64, ttl_ms: u64, renewable: bool) {
        self.granted_at = now;
        self.expires_at = Some(now.saturating_add(ttl_ms));
        self.renewable = renewable;
        self.capped = ttl_ms < self.asked_ms;
        self.renewals = self.renewals.saturating_add(1);
        self.failures = 0;
        self.retry_at = now;
    }

    /// Vault refused to renew (the lease or token is gone, or renewal is not allowed):
    /// replace it at once.
    pub fn refused(&mut self, now: u64) {
        self.renewable = false;
        self.capped = true;
        self.expires_at = Some(self.expires_at.map_or(now, |e| e.min(now)));
        self.retry_at = now;
    }

    /// A step failed at `now` (Vault unreachable, 5xx); `jitter` in `[0, 1)`. The retry
    /// comes no later than halfway to the end of the grant (never sooner than half the base
    /// backoff), so a Vault that returns before the credentials end finds them renewed.
    pub fn failed(&mut self, now: u64, jitter: f64) {
        self.failures = self.failures.saturating_add(1);
        let half_left = self
            .left_ms(now)
            .map_or(u64::MAX, |left| left / 2)
            .max(BACKOFF_BASE_MS / 2);
        let wait = backoff_ms(self.failures, self.asked_ms, jitter).min(half_left);
        self.retry_at = now.saturating_add(wait);
    }

    /// Whether the grant has ended at `now`.
    pub fn expired(&self, now: u64) -> bool {
        self.expires_at.is_some_and(|e| now >= e)
    }

    /// Milliseconds left at `now` (`None`: no expiry).
    pub fn left_ms(&self, now: u64) -> Option<u64> {
        self.expires_at.map(|e| e.saturating_sub(now))
    }

    /// The next step and when it is due (`None`: nothing to do, ever). `replaceable`: a new
    /// grant can be had (always for a lease; for a token, when the keeper can log in).
    pub fn due(&self, now: u64, replaceable: bool) -> Option<(u64, Step)> {
        let expires_at = self.expires_at?;
        let (at, step) = if self.renewable && !self.capped && !self.expired(now) {
            let ttl = expires_at.saturating_sub(self.granted_at);
            (self.granted_at.saturating_add(ttl * 2 / 3), Step::Renew)
        } else {
            // A third of the asked TTL before the end, not before the grant itself.
            let at = expires_at.saturating_sub(self.asked_ms / 3);
            let step = replaceable.then_some(Step::Replace);
            (at.max(self.granted_at), step.unwrap_or(Step::Report))
        };
        Some((at.max(self.retry_at), step))
    }
}

/// Equal-jitter exponential backoff: 50–100 % of `BACKOFF_BASE_MS * 2^(failures-1)`, capped
/// at a third of `asked_ms` (between 1 s and [`BACKOFF_MAX_MS`]).
pub fn backoff_ms(failures: u32, asked_ms: u64, jitter: f64) -> u64 {
    let cap = (asked_ms / 3).clamp(1_000, BACKOFF_MAX_MS);
    let full = BACKOFF_BASE_MS
        .saturating_mul(1u64 << failures.saturating_sub(1).min(16))
        .min(cap);
    let jitter = Some(jitter)
        .filter(|j| j.is_finite())
        .map_or(0.0, |j| j.clamp(0.0, 1.0));
    // The cast is of a value within 0..=full/2.
    full / 2 + ((full / 2) as f64 * jitter) as u64
}

/// When KV secrets are due again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvClock {
    pub read_at: u64,
    pub every_ms: u64,
    pub failures: u32,
    pub retry_at: u64,
    pub reads: u32,
}

impl KvClock {
    pub fn new(now: u64, every_ms: u64) -> KvClock {
        KvClock {
            read_at: now,
            every_ms,
            failures: 0,
            retry_at: now,
            reads: 0,
        }
    }

    pub fn due(&self) -> u64 {
        self.read_at
            .saturating_add(self.every_ms)
            .max(self.retry_at)
    }

    pub fn read(&mut self, now: u64) {
        self.read_at = now;
        self.failures = 0;
        self.retry_at = now;
        self.reads = self.reads.saturating_add(1);
    }

    pub fn failed(&mut self, now: u64, jitter: f64) {
        self.failures = self.failures.saturating_add(1);
        self.retry_at = now.saturating_add(backoff_ms(self.failures, self.every_ms, jitter));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1000;

    #[test]
    fn a_renewable_lease_is_renewed_at_two_thirds_of_its_ttl() {
        let lease = Clock::issued(0, 3 * S, true);
        assert_eq!(lease.due(0, true), Some((2 * S, Step::Renew)));
        let mut lease = lease;
        lease.renewed(2 * S, 3 * S, true);
        assert_eq!(lease.due(2 * S, true), Some((4 * S, Step::Renew)));
        assert_eq!(lease.renewals, 1);
        assert!(!lease.capped);
    }

    #[test]
    fn a_capped_renewal_replaces_the_credentials_a_third_of_the_ttl_before_the_end() {
        // default_ttl 3 s, max_ttl 9 s: renewals at 2, 4, 6 grant 3 s; at 8 only 1 s is left.
        let mut lease = Clock::issued(0, 3 * S, true);
        for at in [2, 4, 6] {
            assert_eq!(lease.due(at * S, true), Some((at * S, Step::Renew)));
            lease.renewed(at * S, 3 * S, true);
        }
        assert_eq!(lease.due(8 * S, true), Some((8 * S, Step::Renew)));
        lease.renewed(8 * S, S, true);
        assert!(lease.capped);
        // 9 s - 1 s: due now, a whole second before Vault drops the user.
        assert_eq!(lease.due(8 * S, true), Some((8 * S, Step::Replace)));

        // A cap that leaves more than a third: replaced when a third is left.
        let mut lease = Clock::issued(0, 30 * S, true);
        lease.renewed(20 * S, 25 * S, true);
        assert_eq!(lease.due(20 * S, true), Some((35 * S, Step::Replace)));
    }

    #[test]
    fn a_lease_that_is_not_renewable_is_replaced_before_it_ends() {
        let lease = Clock::issued(5 * S, 9 * S, false);
        assert_eq!(lease.due(5 * S, true), Some((11 * S, Step::Replace)));
    }

    #[test]
    fn an_expired_lease_is_replaced_at_once_but_not_before_its_backoff() {
        let mut lease = Clock::issued(0, 3 * S, true);
        assert_eq!(lease.due(3 * S, true), Some((2 * S, Step::Replace)));
        lease.failed(3 * S, 0.0);
        let (at, step) = lease.due(3 * S, true).unwrap();
        assert_eq!(step, Step::Replace);
        assert_eq!(at, 3 * S + 250);
    }

    #[test]
    fn retries_come_closer_as_the_end_nears() {
        let mut lease = Clock::issued(0, 6 * S, true);
        lease.failures = 6; // a 16 s backoff would come after the end
        lease.failed(4 * S, 0.0);
        assert_eq!(lease.retry_at, 5 * S);
        lease.failed(5 * S, 0.0);
        assert_eq!(lease.retry_at, 5 * S + 500);
        lease.failed(5900, 0.0);
        assert_eq!(lease.retry_at, 5900 + 250);
    }

    #[test]
    fn a_refused_renewal_replaces_at_once() {
        let mut lease = Clock::issued(0, 60 * S, true);
        lease.refused(40 * S);
        assert_eq!(lease.due(40 * S, true), Some((40 * S, Step::Replace)));
    }

    #[test]
    fn failures_back_off_with_jitter_and_never_busy_loop() {
        let mut lease = Clock::issued(0, 3600 * S, true);
        let mut last = 0;
        for n in 1..=12 {
            lease.failed(2400 * S, 0.5);
            let wait = lease.retry_at - 2400 * S;
            assert!(wait >= BACKOFF_BASE_MS / 2, "failure {n}: {wait}");
            assert!(wait <= BACKOFF_MAX_MS, "failure {n}: {wait}");
            assert!(wait >= last, "failure {n}: {wait} < {last}");
            last = wait;
        }
        assert_eq!(last, 45_000);
        // Jitter spreads 50-100 % of the step.
        assert_eq!(backoff_ms(3, 3600 * S, 0.0), 1_000);
        assert_eq!(backoff_ms(3, 3600 * S, 0.999_999), 1_999);
        assert_eq!(backoff_ms(3, 3600 * S, f64::NAN), 1_000);
        // A short TTL keeps the retries within its third (at least 1 s apart at most).
        assert_eq!(backoff_ms(20, 3 * S, 1.0), 1_000);
        // A success resets the count.
        lease.renewed(2500 * S, 3600 * S, true);
        assert_eq!(lease.failures, 0);
        assert_eq!(lease.due(2500 * S, true).unwrap().0, 4900 * S);
    }

    #[test]
    fn a_token_without_expiry_needs_nothing() {
        let root = Clock::issued(0, 0, false);
        assert_eq!(root.due(10 * S, false), None);
        assert_eq!(root.left_ms(10 * S), None);
    }

    #[test]
    fn a_token_near_its_max_ttl_logs_in_again_or_is_reported() {
        // token_ttl 3 s, token_max_ttl 7 s.
        let mut token = Clock::issued(0, 3 * S, true);
        assert_eq!(token.due(0, true), Some((2 * S, Step::Renew)));
        token.renewed(2 * S, 3 * S, true);
        token.renewed(4 * S, 3 * S, true);
        token.renewed(6 * S, S, true);
        assert_eq!(token.due(6 * S, true), Some((6 * S, Step::Replace)));
        assert_eq!(token.due(6 * S, false), Some((6 * S, Step::Report)));
        // Not renewable: a new login at 2/3 of its TTL.
        let token = Clock::issued(0, 3 * S, false);
        assert_eq!(token.due(0, true), Some((2 * S, Step::Replace)));
    }

    #[test]
    fn kv_secrets_are_reread_every_period_with_backoff_on_failure() {
        let mut kv = KvClock::new(0, 300 * S);
        assert_eq!(kv.due(), 300 * S);
        kv.failed(300 * S, 0.0);
        assert_eq!(kv.due(), 300 * S + 250);
        kv.read(301 * S);
        assert_eq!((kv.due(), kv.reads, kv.failures), (601 * S, 1, 0));
    }
}
