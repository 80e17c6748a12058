//! Host-name overrides for tests: reach a server whose name does not resolve here, while TLS still
//! verifies the certificate against that name.
//!
//! A test can give a rotator a [`HostOverrides`] that maps, say, the endpoint the RDS API reports
//! (`shop.abc.eu-west-1.rds.amazonaws.com`) to `127.0.0.1`. The Lambda binaries never set one:
//! a rotator built with `new()` has none, and no environment variable or secret field fills it.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Host names mapped to the addresses to connect to instead of resolving them, and the test CA
/// that such connections trust besides the usual roots. Empty by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostOverrides {
    addresses: Arc<BTreeMap<String, IpAddr>>,
    test_ca: Option<Arc<str>>,
}

impl HostOverrides {
    /// No overrides: every host name is resolved as usual.
    pub fn none() -> Self {
        Self::default()
    }

    /// These overrides plus `host` (compared in any case) connecting to `address`.
    #[must_use]
    pub fn with(mut self, host: &str, address: IpAddr) -> Self {
        Arc::make_mut(&mut self.addresses).insert(host.to_ascii_lowercase(), address);
        self
    }

    /// The address to connect to for `host`, if it is overridden.
    pub fn address_of(&self, host: &str) -> Option<IpAddr> {
        self.addresses.get(&host.to_ascii_lowercase()).copied()
    }

    /// These overrides, with connections to an overridden host also trusting the CA `pem` (the
    /// test server's). Host names are still verified.
    #[must_use]
    pub fn trusting(mut self, pem: &str) -> Self {
        self.test_ca = Some(Arc::from(pem));
        self
    }

    /// The extra CA a connection to `host` trusts: only for an overridden host.
    pub fn test_ca_for(&self, host: &str) -> Option<&str> {
        self.address_of(host).and(self.test_ca.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_named_hosts_are_overridden_in_any_case() {
        let loopback = IpAddr::from([127, 0, 0, 1]);
        let hosts = HostOverrides::none().with("Shop.RDS.example", loopback);
        assert_eq!(hosts.address_of("shop.rds.example"), Some(loopback));
        assert_eq!(hosts.address_of("other.rds.example"), None);
        assert_eq!(HostOverrides::none().address_of("shop.rds.example"), None);
        let trusting = hosts.trusting("PEM");
        assert_eq!(trusting.test_ca_for("shop.rds.example"), Some("PEM"));
        assert_eq!(
            trusting.test_ca_for("other.rds.example"),
            None,
            "only overridden hosts"
        );
    }
}
