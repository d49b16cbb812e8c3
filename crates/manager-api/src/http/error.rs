//! Flamenco's `Error` body, `{"code": <HTTP status>, "message": "..."}`, for every refused
//! request, and the mapping of axum's extractor rejections (plain text by default) to it.

use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::auth::WORKER_AUTH_REALM;
use crate::Error;

/// `Error`: the body of every error response; `code` equals the HTTP status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The HTTP status code.
    pub code: u16,
    /// What went wrong, for people.
    pub message: String,
}

impl Error {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::Invalid(_) => StatusCode::BAD_REQUEST,
            Error::NotFound { .. } => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Storage(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            Error::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::NoRoute { method_not_allowed: true, .. } => StatusCode::METHOD_NOT_ALLOWED,
            Error::NoRoute { .. } => StatusCode::NOT_FOUND,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = ErrorBody { code: status.as_u16(), message: self.to_string() };
        let mut response = (status, axum::Json(body.clone())).into_response();
        response.extensions_mut().insert(body);
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(WORKER_AUTH_REALM));
        }
        response
    }
}

/// A rejection's status, folded into the kinds of [`Error`]: body-size and media-type
/// problems keep their status, everything else about a request's content is a 400.
fn from_rejection(status: StatusCode, message: String) -> Error {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge(message),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::UnsupportedMediaType(message),
        _ => Error::Invalid(message),
    }
}

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Self {
        let message = match &rejection {
            JsonRejection::MissingJsonContentType(_) => {
                "the request body must be JSON, sent with Content-Type: application/json".to_owned()
            }
            _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                format!("the request body is too large: {}", rejection.body_text())
            }
            _ => format!("invalid JSON body: {}", rejection.body_text()),
        };
        from_rejection(rejection.status(), message)
    }
}

impl From<PathRejection> for Error {
    fn from(rejection: PathRejection) -> Self {
        Error::Invalid(format!("invalid path: {}", rejection.body_text()))
    }
}

impl From<BytesRejection> for Error {
    fn from(rejection: BytesRejection) -> Self {
        let message = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            format!("the request body is too large: {}", rejection.body_text())
        } else {
            format!("cannot read the request body: {}", rejection.body_text())
        };
        from_rejection(rejection.status(), message)
    }
}
