//! Worker authentication: HTTP basic auth, user name the worker's UUID, password the
//! secret it gave at registration. Anything missing or wrong is a 401 with
//! `WWW-Authenticate: Basic realm="Flamenco Worker"`.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use uuid::Uuid;

use crate::model::Worker;
use crate::{Error, Manager};

/// The `WWW-Authenticate` value sent with every 401.
pub const WORKER_AUTH_REALM: &str = "Basic realm=\"Flamenco Worker\"";

/// The worker making the request, its credential checked.
pub(crate) struct WorkerAuth(pub(crate) Worker);

fn unauthorized(message: &str) -> Error {
    Error::Unauthorized(message.to_owned())
}

/// The user name and password of a `Basic` `Authorization` header value.
fn credentials(value: &str) -> Result<(Uuid, String), Error> {
    let (scheme, encoded) = value
        .trim()
        .split_once(' ')
        .ok_or_else(|| unauthorized("the Authorization header must be HTTP basic auth"))?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(unauthorized("the Authorization header must be HTTP basic auth"));
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| unauthorized("the basic auth credential is not valid base64 UTF-8"))?;
    let (user, password) =
        decoded.split_once(':').ok_or_else(|| unauthorized("the basic auth credential has no password"))?;
    let worker_id = user
        .parse::<Uuid>()
        .map_err(|_| unauthorized("the basic auth user name must be the worker's UUID"))?;
    Ok((worker_id, password.to_owned()))
}

impl FromRequestParts<Manager> for WorkerAuth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, manager: &Manager) -> Result<Self, Error> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| unauthorized("worker credentials (HTTP basic auth) are required"))?
            .to_str()
            .map_err(|_| unauthorized("the Authorization header is not valid text"))?;
        let (worker_id, secret) = credentials(value)?;
        manager.authenticate_worker(worker_id, &secret).map(WorkerAuth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials() {
        let id = Uuid::new_v4();
        let header = format!("Basic {}", STANDARD.encode(format!("{id}:s3cr:et")));
        assert_eq!(credentials(&header), Ok((id, "s3cr:et".to_owned())));
        let lower = format!("basic {}", STANDARD.encode(format!("{id}:")));
        assert_eq!(credentials(&lower), Ok((id, String::new())));
        for bad in [
            "".to_owned(),
            "Basic".to_owned(),
            format!("Bearer {}", STANDARD.encode(format!("{id}:x"))),
            "Basic !!!".to_owned(),
            format!("Basic {}", STANDARD.encode("not-a-uuid:x")),
            format!("Basic {}", STANDARD.encode(id.to_string())),
        ] {
            assert!(matches!(credentials(&bad), Err(Error::Unauthorized(_))), "{bad:?}");
        }
    }
}
