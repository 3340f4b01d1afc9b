//! One HTTP function as its crate declares it: the name the manifests and Lambda's `_HANDLER`
//! use, the handler, when it reads the JWT key, and its OpenAPI operation. Each function crate
//! lists its own in a `FUNCTIONS` table; the Lambda binary, the local stack and the OpenAPI
//! document all read those tables, so an endpoint is named in one place.

use std::future::Future;
use std::pin::Pin;

use utoipa::__dev::{SchemaReferences, Tags};
use utoipa::openapi::OpenApi;

use crate::{ApiContext, ApiResult, KeyLoad, Request};

/// A handler's future, boxed so that every handler fits one function-pointer type.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = ApiResult> + Send + 'a>>;

pub type Handler = for<'a> fn(&'a ApiContext, Request) -> HandlerFuture<'a>;

#[derive(Clone, Copy)]
pub struct HttpFunction {
    pub name: &'static str,
    pub handler: Handler,
    pub key_load: KeyLoad,
    /// Adds the function's `#[utoipa::path]` operation, and the schemas it uses, to a document.
    pub document: fn(&mut OpenApi),
}

impl HttpFunction {
    pub fn call<'a>(&self, ctx: &'a ApiContext, req: Request) -> HandlerFuture<'a> {
        (self.handler)(ctx, req)
    }
}

impl std::fmt::Debug for HttpFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpFunction")
            .field("name", &self.name)
            .field("key_load", &self.key_load)
            .finish_non_exhaustive()
    }
}

/// Adds the operation `#[utoipa::path]` generated as `P` to `openapi`, as `#[derive(OpenApi)]`'s
/// `paths(...)` would: its tags, and the schemas its bodies refer to (utoipa exposes those
/// through `__dev`, the traits its own derive uses).
#[doc(hidden)]
pub fn document<P>(openapi: &mut OpenApi)
where
    P: utoipa::Path + SchemaReferences + for<'t> Tags<'t>,
{
    let mut operation = P::operation();
    let tags = <P as Tags>::tags();
    if !tags.is_empty() {
        operation
            .tags
            .get_or_insert_with(Vec::new)
            .extend(tags.into_iter().map(str::to_owned));
    }
    openapi.paths.add_path_operation(P::path(), P::methods(), operation);
    let mut schemas = Vec::new();
    P::schemas(&mut schemas);
    openapi
        .components
        .get_or_insert_with(Default::default)
        .schemas
        .extend(schemas);
}

/// `http_function!("auth-login", login::handler)`: an [`HttpFunction`] whose handler has a
/// `#[utoipa::path]`. `keyless` marks a function that never issues or verifies a token: it reads
/// the JWT key only if a request ever needs it, so its role need not grant it.
#[macro_export]
macro_rules! http_function {
    ($name:literal, $($segment:ident)::+ $(, $keyless:ident)?) => {
        $crate::http_function!(@split $name [$($keyless)?] [] $($segment)+)
    };
    // `#[utoipa::path]` names its struct after the handler, in the handler's module: split the
    // path into the module and the last segment.
    (@split $name:literal [$($keyless:ident)?] [$($module:ident)*] $handler:ident) => {
        $crate::HttpFunction {
            name: $name,
            handler: |ctx, req| ::std::boxed::Box::pin($($module ::)* $handler(ctx, req)),
            key_load: $crate::http_function!(@key_load $($keyless)?),
            document: $crate::__pastey::paste! { $crate::function::document::<$($module ::)* [<__path_ $handler>]> },
        }
    };
    (@split $name:literal [$($keyless:ident)?] [$($module:ident)*] $next:ident $($rest:ident)+) => {
        $crate::http_function!(@split $name [$($keyless)?] [$($module)* $next] $($rest)+)
    };
    (@key_load) => { $crate::KeyLoad::AtInit };
    (@key_load keyless) => { $crate::KeyLoad::OnFirstUse };
}
