//! `GET /_convo/federation/v1/keys`: the server's self-signed key document (unsigned request).

use super::{FederationEndpoint, Method, PREFIX};
use crate::keys::ServerKeys;

/// The request: nothing but the path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Request;

/// The answer: the key document ([`ServerKeys`]).
pub type Response = ServerKeys;

impl FederationEndpoint for Request {
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/_convo/federation/v1/keys";
    const SIGNED: bool = false;
    type Response = Response;

    fn uri(&self) -> String {
        format!("{PREFIX}/keys")
    }
}
