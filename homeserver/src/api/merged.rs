//! `OnePathEach`: an OpenAPI service whose document has one entry per path. Every operation
//! is its own `#[OpenApi]` struct, and poem-openapi writes one path entry per struct, so a
//! path with several methods would appear several times (and parsers keep only the last).

use std::collections::HashMap;

use poem::endpoint::BoxEndpoint;
use poem::http::Method;
use poem_openapi::OpenApi;
use poem_openapi::registry::{MetaApi, MetaPath, Registry};

/// Wraps the operations `T`, describing each path once with all its methods under it.
/// Routing is `T`'s own: poem-openapi already groups the routes by path.
#[derive(Debug, Default)]
pub struct OnePathEach<T>(pub T);

impl<T: OpenApi> OpenApi for OnePathEach<T> {
    fn meta() -> Vec<MetaApi> {
        vec![MetaApi {
            paths: merge_paths(T::meta()),
        }]
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn add_routes(self, route_table: &mut HashMap<String, HashMap<Method, BoxEndpoint<'static>>>) {
        self.0.add_routes(route_table);
    }
}

/// The paths of `apis` in the order they first appear, each with the operations of every
/// entry for it, in declaration order.
fn merge_paths(apis: Vec<MetaApi>) -> Vec<MetaPath> {
    let mut merged: Vec<MetaPath> = Vec::new();
    for path in apis.into_iter().flat_map(|api| api.paths) {
        match merged.iter_mut().find(|seen| seen.path == path.path) {
            Some(seen) => seen.operations.extend(path.operations),
            None => merged.push(path),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    type Operations = (
        crate::api::auth::Api,
        crate::api::users::Api,
        crate::api::rooms::Api,
    );

    #[test]
    fn every_operation_is_kept_under_one_entry_per_path() {
        let apis = Operations::meta();
        let count = |paths: &[MetaPath]| paths.iter().map(|p| p.operations.len()).sum::<usize>();
        let before: usize = apis.iter().map(|api| count(&api.paths)).sum();
        let merged = merge_paths(apis);
        assert_eq!(count(&merged), before);
        let mut names: Vec<_> = merged.iter().map(|p| p.path.as_str()).collect();
        let listed = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), listed, "a path is listed twice: {names:?}");
        let rooms = merged
            .iter()
            .find(|p| p.path == "/rooms/{room_id}")
            .expect("rooms path");
        let methods: Vec<_> = rooms.operations.iter().map(|o| o.method.as_str()).collect();
        assert_eq!(methods, ["GET", "PUT", "DELETE"]);
    }
}
