//! The client's DNS resolver: maps peer-map TLS names to their configured hosts, resolves, and
//! drops the addresses the [`TargetPolicy`] refuses, so what is connected to is exactly what
//! was checked (no second lookup that could answer differently).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::TargetPolicy;

/// Why a name was not resolved to anything we may connect to.
#[derive(Debug, thiserror::Error)]
#[error("refusing to connect to {host}: {reason}")]
pub(super) struct RefusedTarget {
    pub host: String,
    pub reason: &'static str,
}

#[derive(Debug)]
pub(super) struct GuardedResolver {
    pub policy: TargetPolicy,
    /// TLS name → host to look up instead (from the peer map).
    pub overrides: BTreeMap<String, String>,
}

impl GuardedResolver {
    /// The addresses `name` resolves to that the policy allows; an error if there are none.
    pub async fn lookup(
        &self,
        name: &str,
    ) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
        let host = self.overrides.get(name).map_or(name, String::as_str);
        let candidates: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, 0)],
            Err(_) => tokio::net::lookup_host((host, 0)).await?.collect(),
        };
        let mut refusal = "the name resolves to no address";
        let allowed: Vec<SocketAddr> = candidates
            .into_iter()
            .filter(|addr| match self.policy.refusal(addr.ip()) {
                Some(reason) => {
                    refusal = reason;
                    false
                }
                None => true,
            })
            .collect();
        if allowed.is_empty() {
            return Err(Box::new(RefusedTarget {
                host: host.to_owned(),
                reason: refusal,
            }));
        }
        Ok(allowed)
    }
}

impl Resolve for Shared {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = self.0.clone();
        Box::pin(async move {
            let addrs = resolver.lookup(name.as_str()).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The resolver as reqwest holds it.
#[derive(Clone, Debug)]
pub(super) struct Shared(pub Arc<GuardedResolver>);
