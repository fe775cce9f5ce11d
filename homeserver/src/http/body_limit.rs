//! Caps request bodies: a declared `Content-Length` over the limit is refused at once, and a
//! body without one (chunked) is read up to the limit and refused if it goes past it.
//! (poem's own `SizeLimit` refuses every request without `Content-Length`, GETs included.)

use poem::error::SizedLimitError;
use poem::http::header::CONTENT_LENGTH;
use poem::{Body, Endpoint, Middleware, Request, Result};
use tokio::io::AsyncReadExt as _;

/// Refuses request bodies larger than `max_bytes` with 413.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    pub max_bytes: usize,
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint {
            inner,
            max_bytes: self.max_bytes,
        }
    }
}

#[derive(Debug)]
pub struct BodyLimitEndpoint<E> {
    inner: E,
    max_bytes: usize,
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        match declared {
            Some(length) if length > self.max_bytes as u64 => {
                return Err(SizedLimitError::PayloadTooLarge.into());
            }
            Some(_) => {}
            None => {
                let mut buffer = Vec::new();
                req.take_body()
                    .into_async_read()
                    .take(self.max_bytes as u64 + 1)
                    .read_to_end(&mut buffer)
                    .await
                    .map_err(poem::error::BadRequest)?;
                if buffer.len() > self.max_bytes {
                    return Err(SizedLimitError::PayloadTooLarge.into());
                }
                req.set_body(Body::from_vec(buffer));
            }
        }
        self.inner.call(req).await
    }
}
