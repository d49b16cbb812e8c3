//! The built-in job types: each compiles a submitted job's settings into tasks.
//!
//! A compiler only reads settings and returns task descriptions; storing them, giving them
//! ids and broadcasting the new job is the job service's business (`jobs.rs`). Bad or
//! missing settings are an [`Error::Invalid`] naming the setting and what is wrong with it.
//! `info.rs` describes each type's settings to clients (`AvailableJobType`, with its etag).

mod echo_sleep_test;
mod frames;
mod info;
mod settings;
mod simple_blender_render;

use serde_json::{Map, Value};

use crate::Error;
use crate::model::Command;

pub use frames::{FrameRange, MAX_FRAMES, parse_frames};
pub(crate) use info::check_etag;
pub use info::{
    AvailableJobSetting, AvailableJobType, AvailableJobTypes, available_job_type, available_job_types,
};

/// The names of the built-in job types.
pub const JOB_TYPES: [&str; 2] = [simple_blender_render::NAME, echo_sleep_test::NAME];

/// One task a job type asks for, before it has an id.
#[derive(Clone, Debug, PartialEq)]
pub struct CompiledTask {
    /// The task's name, unique within its job (`render-1-3`, `echo`, ...).
    pub name: String,
    /// The worker capability it needs (`blender`, `ffmpeg`, `misc`).
    pub task_type: String,
    /// What the worker runs.
    pub commands: Vec<Command>,
    /// Indices, into the same list, of the tasks that must complete first.
    pub depends_on: Vec<usize>,
    /// Steps of its work: the frames it renders, 1 for a task that does one thing.
    pub steps: u32,
}

/// Compiles `settings` with the job type called `job_type`, giving the tasks in the order
/// they are meant to run.
pub fn compile(job_type: &str, settings: &Map<String, Value>) -> Result<Vec<CompiledTask>, Error> {
    match job_type {
        simple_blender_render::NAME => simple_blender_render::compile(settings),
        echo_sleep_test::NAME => echo_sleep_test::compile(settings),
        other => {
            Err(Error::invalid(format!("unknown job type {other:?}; known types: {}", JOB_TYPES.join(", "))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn unknown_job_type_is_invalid_and_lists_the_known_ones() {
        let err = compile("render-everything", &Map::new()).unwrap_err();
        assert_eq!(
            err,
            Error::invalid(
                "unknown job type \"render-everything\"; known types: simple-blender-render, echo-sleep-test"
            )
        );
    }

    #[test]
    fn echo_sleep_test_is_an_echo_then_a_sleep() {
        let tasks =
            compile("echo-sleep-test", &settings(json!({"message": "hi", "sleep_duration_seconds": 2})))
                .unwrap();
        let names: Vec<_> = tasks.iter().map(|t| (t.name.as_str(), t.task_type.as_str())).collect();
        assert_eq!(names, [("echo", "misc"), ("sleep", "misc")]);
        assert_eq!(tasks[0].commands, [Command::new("echo", json!({"message": "hi"}))]);
        assert_eq!(tasks[1].commands, [Command::new("sleep", json!({"duration_in_seconds": 2}))]);
        assert_eq!(tasks[1].depends_on, [0]);
    }

    #[test]
    fn simple_blender_render_chunks_frames_then_previews() {
        let tasks = compile(
            "simple-blender-render",
            &settings(json!({"frames": "1-10", "chunk_size": 3, "blendfile": "/b.blend"})),
        )
        .unwrap();
        let names: Vec<_> = tasks.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["render-1-3", "render-4-6", "render-7-9", "render-10", "preview-video"]);
        assert!(tasks[..4].iter().all(|t| t.task_type == "blender" && t.depends_on.is_empty()));
        assert_eq!(tasks[4].task_type, "ffmpeg");
        assert_eq!(tasks[4].depends_on, [0, 1, 2, 3]);
        let render = &tasks[0].commands[0];
        assert_eq!(render.name, "blender-render");
        assert_eq!(render.parameters["blendfile"], "/b.blend");
        let args = render.parameters["args"].as_array().unwrap();
        assert_eq!(args.last().unwrap(), "1..3");
    }

    #[test]
    fn simple_blender_render_with_several_ranges() {
        let tasks =
            compile("simple-blender-render", &settings(json!({"frames": "1-4,20-21", "chunk_size": 3})))
                .unwrap();
        let names: Vec<_> = tasks.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["render-1-3", "render-4,20-21", "preview-video"]);
        let args = tasks[1].commands[0].parameters["args"].as_array().unwrap();
        assert_eq!(args.last().unwrap(), "4,20..21");
    }

    fn check_invalid(job_type: &str, value: Value, expected: &str) {
        let err = compile(job_type, &settings(value)).unwrap_err();
        assert_eq!(err, Error::invalid(expected), "{job_type}");
    }

    #[test]
    fn bad_settings_name_the_setting_and_the_problem() {
        let sbr = "simple-blender-render";
        check_invalid(sbr, json!({"chunk_size": 3}), "setting \"frames\" is required");
        check_invalid(sbr, json!({"frames": "1-10"}), "setting \"chunk_size\" is required");
        check_invalid(
            sbr,
            json!({"frames": 7, "chunk_size": 3}),
            "setting \"frames\" must be a string, got 7",
        );
        check_invalid(
            sbr,
            json!({"frames": "1-10", "chunk_size": 0}),
            "setting \"chunk_size\" must be a positive integer, got 0",
        );
        check_invalid(
            sbr,
            json!({"frames": "1-10", "chunk_size": "3"}),
            "setting \"chunk_size\" must be a positive integer, got \"3\"",
        );
        check_invalid(
            sbr,
            json!({"frames": "1-10", "chunk_size": 2.5}),
            "setting \"chunk_size\" must be a positive integer, got 2.5",
        );
        check_invalid(
            sbr,
            json!({"frames": "10-1", "chunk_size": 3}),
            "setting \"frames\" is invalid: range \"10-1\" ends before it starts",
        );
        check_invalid(
            sbr,
            json!({"frames": "", "chunk_size": 3}),
            "setting \"frames\" is invalid: no frames given",
        );
        check_invalid(
            sbr,
            json!({"frames": "1-10", "chunk_size": 3, "blendfile": false}),
            "setting \"blendfile\" must be a string, got false",
        );
        let est = "echo-sleep-test";
        check_invalid(est, json!({"sleep_duration_seconds": 1}), "setting \"message\" is required");
        check_invalid(
            est,
            json!({"message": "hi", "sleep_duration_seconds": -1}),
            "setting \"sleep_duration_seconds\" must be a positive integer, got -1",
        );
    }
}
