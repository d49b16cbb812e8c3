//! What the built-in job types tell clients about themselves: `AvailableJobType`, with
//! the settings each compiler reads, a label, a description and an `etag`.
//!
//! The etag is, as in Flamenco, the SHA-1 (hex) of the job type's JSON without its etag:
//! it changes whenever a setting, the label or the description changes, so a client
//! submitting a job with settings from an older description is refused with 412 instead of
//! getting a job it did not mean.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha1::{Digest, Sha1};

use super::{echo_sleep_test, simple_blender_render};
use crate::Error;

/// `AvailableJobTypes`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AvailableJobTypes {
    /// Every built-in job type.
    pub job_types: Vec<AvailableJobType>,
}

/// `AvailableJobType`: one job type and the settings it takes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AvailableJobType {
    /// The name jobs are submitted with (`type` of `SubmittedJob`).
    pub name: String,
    /// For people.
    pub label: String,
    /// What the job type does.
    pub description: String,
    /// The settings, in the order a form shows them.
    pub settings: Vec<AvailableJobSetting>,
    /// The SHA-1 of everything above (see the module docs).
    pub etag: String,
}

/// `AvailableJobSetting`: one setting of a job type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AvailableJobSetting {
    /// The key in `SubmittedJob.settings`.
    pub key: String,
    /// `string`, `int32`, `float` or `bool`.
    #[serde(rename = "type")]
    pub setting_type: String,
    /// `file_path`, `dir_path`, `file_name` or `hashed_file_path`, for strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtype: Option<String>,
    /// For people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The value used when the setting is left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// `visible`, `hidden`, `submission` or `web`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible: Option<String>,
    /// Whether a job without it is refused.
    #[serde(default)]
    pub required: bool,
}

/// A setting described by its key, type, whether it is required, and what it is.
fn setting(key: &str, setting_type: &str, required: bool, description: &str) -> AvailableJobSetting {
    AvailableJobSetting {
        key: key.to_owned(),
        setting_type: setting_type.to_owned(),
        subtype: None,
        description: Some(description.to_owned()),
        default: None,
        visible: None,
        required,
    }
}

impl AvailableJobSetting {
    fn default(mut self, value: Value) -> Self {
        self.default = Some(value);
        self
    }

    fn subtype(mut self, subtype: &str) -> Self {
        self.subtype = Some(subtype.to_owned());
        self
    }

    fn visible(mut self, visible: &str) -> Self {
        self.visible = Some(visible.to_owned());
        self
    }
}

/// A job type with its etag computed.
fn job_type(
    name: &str,
    label: &str,
    description: &str,
    settings: Vec<AvailableJobSetting>,
) -> AvailableJobType {
    let mut job_type = AvailableJobType {
        name: name.to_owned(),
        label: label.to_owned(),
        description: description.to_owned(),
        settings,
        etag: String::new(),
    };
    // Serialising plain structs of strings and JSON values cannot fail.
    let json = serde_json::to_vec(&job_type).unwrap_or_default();
    job_type.etag = Sha1::digest(&json).iter().map(|b| format!("{b:02x}")).collect();
    job_type
}

/// Every built-in job type, in the order of [`JOB_TYPES`](super::JOB_TYPES).
pub fn available_job_types() -> AvailableJobTypes {
    AvailableJobTypes {
        job_types: vec![
            job_type(
                simple_blender_render::NAME,
                "Simple Blender Render",
                "Renders frames with Blender in chunks, then makes a preview video of them.",
                vec![
                    setting(
                        "frames",
                        "string",
                        true,
                        "Frames to render, like '47', '1-30' or '3, 5-10, 47-327'",
                    ),
                    setting("chunk_size", "int32", true, "Number of frames to render in one Blender task")
                        .default(json!(1))
                        .visible("submission"),
                    setting("blendfile", "string", false, "Path of the blend file to render")
                        .subtype("file_path")
                        .visible("web"),
                    setting("render_output_path", "string", false, "Where the rendered frames are saved")
                        .subtype("hashed_file_path")
                        .default(json!("//render/######")),
                    setting("format", "string", false, "Blender's image file format").default(json!("PNG")),
                    setting("image_file_extension", "string", false, "File extension of the rendered images")
                        .default(json!(".png"))
                        .visible("hidden"),
                    setting("fps", "float", false, "Frames per second of the preview video")
                        .default(json!(24.0))
                        .visible("hidden"),
                ],
            ),
            job_type(
                echo_sleep_test::NAME,
                "Echo Sleep Test",
                "Echoes a message, then sleeps: a job for trying out the farm.",
                vec![
                    setting("message", "string", true, "What the worker echoes"),
                    setting(
                        "sleep_duration_seconds",
                        "int32",
                        true,
                        "How long the worker sleeps, in seconds",
                    )
                    .default(json!(1)),
                ],
            ),
        ],
    }
}

/// The built-in job type `name`.
pub fn available_job_type(name: &str) -> Option<AvailableJobType> {
    available_job_types().job_types.into_iter().find(|t| t.name == name)
}

/// Refuses (412) a job submitted with an etag that is not its job type's; a job without an
/// etag, or with an empty one, is taken (Flamenco's rule). An unknown type passes here and
/// is refused by the compiler.
pub(crate) fn check_etag(job_type: &str, etag: Option<&str>) -> Result<(), Error> {
    let (Some(etag), Some(known)) = (etag.filter(|e| !e.is_empty()), available_job_type(job_type)) else {
        return Ok(());
    };
    if etag == known.etag {
        Ok(())
    } else {
        Err(Error::PreconditionFailed(format!(
            "the job type {job_type:?} has changed (etag {:?}, the job has {etag:?}); refresh the job types and submit again",
            known.etag
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_type_is_described_with_a_sha1_etag() {
        let names: Vec<String> = available_job_types().job_types.into_iter().map(|t| t.name).collect();
        assert_eq!(names, super::super::JOB_TYPES);
        for job_type in available_job_types().job_types {
            assert_eq!(job_type.etag.len(), 40, "{}", job_type.etag);
            assert!(job_type.etag.bytes().all(|b| b.is_ascii_hexdigit()));
            let mut without = job_type.clone();
            without.etag.clear();
            let json = serde_json::to_vec(&without).unwrap();
            let expected: String = Sha1::digest(&json).iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(job_type.etag, expected);
        }
    }

    #[test]
    fn etags_differ_between_types_and_are_stable() {
        let a = available_job_type("simple-blender-render").unwrap();
        let b = available_job_type("echo-sleep-test").unwrap();
        assert_ne!(a.etag, b.etag);
        assert_eq!(a.etag, available_job_type("simple-blender-render").unwrap().etag);
    }

    #[test]
    fn a_settings_change_changes_the_etag() {
        let before = available_job_type("echo-sleep-test").unwrap();
        let mut settings = before.settings.clone();
        settings[0].description = Some("something else".to_owned());
        let after = job_type(&before.name, &before.label, &before.description, settings);
        assert_ne!(before.etag, after.etag);
    }

    #[test]
    fn etag_check_takes_none_empty_and_the_right_one() {
        let etag = available_job_type("echo-sleep-test").unwrap().etag;
        assert_eq!(check_etag("echo-sleep-test", None), Ok(()));
        assert_eq!(check_etag("echo-sleep-test", Some("")), Ok(()));
        assert_eq!(check_etag("echo-sleep-test", Some(&etag)), Ok(()));
        assert!(matches!(check_etag("echo-sleep-test", Some("stale")), Err(Error::PreconditionFailed(_))));
        assert_eq!(check_etag("no-such-type", Some("stale")), Ok(()));
    }
}
