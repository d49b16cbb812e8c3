//! `simple-blender-render`: render frames with Blender in chunks, then make a preview video.

use serde_json::{Map, Value, json};

use super::CompiledTask;
use super::frames::{FrameRange, chunk, parse_frames};
use super::settings::{optional_number, optional_string, positive_integer, required_string};
use crate::Error;
use crate::model::Command;

pub(super) const NAME: &str = "simple-blender-render";

/// Settings `frames` (`"1-10"`, `"1-10,20-25"`) and `chunk_size` (positive integer), and
/// optionally `blendfile`, `render_output_path`, `format`, `fps` and
/// `image_file_extension`. One `blender` task per chunk of frames, named after the chunk
/// (`render-1-3`), then one `ffmpeg` task, `preview-video`, that waits for all of them.
pub(super) fn compile(settings: &Map<String, Value>) -> Result<Vec<CompiledTask>, Error> {
    let frames = required_string(settings, "frames")?;
    let frames =
        parse_frames(&frames).map_err(|e| Error::invalid(format!("setting \"frames\" is invalid: {e}")))?;
    let chunk_size = positive_integer(settings, "chunk_size")?;
    let blendfile = optional_string(settings, "blendfile", "")?;
    let output = optional_string(settings, "render_output_path", "//render/######")?;
    let format = optional_string(settings, "format", "PNG")?;
    let extension = optional_string(settings, "image_file_extension", ".png")?;
    let fps = optional_number(settings, "fps", 24.0)?;

    let chunks = chunk(&frames, chunk_size);
    let mut tasks: Vec<CompiledTask> = chunks
        .iter()
        .map(|ranges| {
            let name = ranges.iter().map(|r| r.to_string()).collect::<Vec<_>>();
            let blender_frames = ranges.iter().map(|r| r.blender_syntax()).collect::<Vec<_>>();
            CompiledTask {
                name: format!("render-{}", name.join(",")),
                task_type: "blender".to_owned(),
                commands: vec![Command::new(
                    "blender-render",
                    json!({
                        "exe": "{blender}",
                        "exeArgs": "{blenderArgs}",
                        "argsBefore": [],
                        "blendfile": blendfile,
                        "args": [
                            "--render-output", output,
                            "--render-format", format,
                            "--render-frame", blender_frames.join(","),
                        ],
                    }),
                )],
                depends_on: vec![],
                steps: ranges.iter().map(FrameRange::frame_count).sum(),
            }
        })
        .collect();

    let output_dir = match output.rfind('/') {
        Some(i) => &output[..i],
        None => ".",
    };
    tasks.push(CompiledTask {
        name: "preview-video".to_owned(),
        task_type: "ffmpeg".to_owned(),
        commands: vec![Command::new(
            "frames-to-video",
            json!({
                "exe": "ffmpeg",
                "fps": fps,
                "inputGlob": format!("{output_dir}/*{extension}"),
                "outputFile": format!("{output_dir}/preview.mkv"),
                "args": ["-c:v", "h264", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-g", "18", "-crf", "23"],
            }),
        )],
        depends_on: (0..chunks.len()).collect(),
        steps: 1,
    });
    Ok(tasks)
}
