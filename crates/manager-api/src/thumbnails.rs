//! Making the [`THUMBNAILS`] of a last-rendered image with the `image` crate: decoded as
//! the PNG or JPEG it was sent as, fit in each box, encoded as JPEG.
//!
//! This is CPU work of up to a second for a large render, so the service runs it on
//! tokio's blocking pool (`spawn_blocking`), never on the threads that answer requests, and
//! at most [`THUMBNAILS_AT_ONCE`] images at a time: a decoded image may take up to `image`'s default
//! allocation limit (512 MiB), so more uploads wait for their turn instead of taking memory.
//! An image that cannot be decoded, or whose size is beyond [`MAX_SIDE`] pixels a side, is
//! refused as invalid; a decoder that panics on it is caught the same way.

use std::io::Cursor;

use axum::body::Bytes;
use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};

use crate::Error;
use crate::model::THUMBNAILS;

/// The widest or tallest image taken, in pixels: a 16K render. Keeps a small file that
/// claims a huge size (a decompression bomb) from taking all memory.
pub const MAX_SIDE: u32 = 16_384;

/// JPEG quality of the thumbnails.
const QUALITY: u8 = 85;

/// Images whose thumbnails are made at the same time; more wait (asynchronously).
pub const THUMBNAILS_AT_ONCE: usize = 2;

static TURNS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(THUMBNAILS_AT_ONCE);

/// [`make`] on the blocking pool, when it is this image's turn (see the module docs). A
/// decoder that panics is answered as an image that cannot be read, and logged.
pub(crate) async fn make_off_the_request_path(
    format: ImageFormat,
    bytes: Bytes,
) -> Result<Vec<Bytes>, Error> {
    // The semaphore is never closed, so acquiring only waits.
    let _turn = TURNS.acquire().await.map_err(|_| Error::invalid("the image cannot be read now"))?;
    tokio::task::spawn_blocking(move || make(format, &bytes)).await.map_err(|e| {
        tracing::warn!(error = %e, "making thumbnails of a last-rendered image failed");
        Error::invalid("the image cannot be read")
    })?
}

/// The thumbnails of `bytes`, an image in `format` (PNG or JPEG), in [`THUMBNAILS`] order.
pub(crate) fn make(format: ImageFormat, bytes: &[u8]) -> Result<Vec<Bytes>, Error> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| Error::invalid(format!("the image cannot be read: {e}")))?;
    THUMBNAILS.iter().map(|(_, width, height)| encode(&fit(&image, *width, *height))).collect()
}

/// `image` scaled down, proportions kept, to fit in `width` x `height`; as it is when it
/// fits already.
fn fit(image: &DynamicImage, width: u32, height: u32) -> DynamicImage {
    if image.width() <= width && image.height() <= height {
        image.clone()
    } else {
        image.resize(width, height, FilterType::Triangle)
    }
}

fn encode(image: &DynamicImage) -> Result<Bytes, Error> {
    let mut out = Vec::new();
    // JPEG has no alpha channel: flatten to RGB first.
    let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, QUALITY);
    rgb.write_with_encoder(encoder)
        .map_err(|e| Error::invalid(format!("the thumbnail cannot be made: {e}")))?;
    Ok(out.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image =
            image::RgbaImage::from_fn(width, height, |x, y| image::Rgba([x as u8, y as u8, 128, 200]));
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(image).write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    fn sizes(thumbnails: &[Bytes]) -> Vec<(u32, u32)> {
        thumbnails
            .iter()
            .map(|t| {
                let image = image::load_from_memory_with_format(t, ImageFormat::Jpeg).unwrap();
                (image.width(), image.height())
            })
            .collect()
    }

    #[test]
    fn each_thumbnail_fits_its_box_and_keeps_the_proportions() {
        let thumbnails = make(ImageFormat::Png, &png(2400, 1000)).unwrap();
        assert_eq!(sizes(&thumbnails), [(1920, 800), (600, 250), (200, 83)]);
        let thumbnails = make(ImageFormat::Png, &png(300, 900)).unwrap();
        assert_eq!(sizes(&thumbnails), [(300, 900), (113, 338), (37, 112)]);
    }

    #[test]
    fn a_small_image_keeps_its_size() {
        assert_eq!(sizes(&make(ImageFormat::Png, &png(64, 48)).unwrap()), [(64, 48), (64, 48), (64, 48)]);
    }

    #[test]
    fn corrupt_and_mislabelled_images_are_invalid() {
        let mut cut = png(64, 48);
        cut.truncate(cut.len() / 2);
        for (format, bytes) in [
            (ImageFormat::Png, b"\x89PNG\r\n\x1a\nnot really".to_vec()),
            (ImageFormat::Png, cut),
            (ImageFormat::Jpeg, png(8, 8)),
            (ImageFormat::Jpeg, Vec::new()),
        ] {
            let Err(Error::Invalid(message)) = make(format, &bytes) else { panic!("{format:?} refused") };
            assert!(message.starts_with("the image cannot be read"), "{message}");
        }
    }

    /// With every turn taken, another image waits (its future stays pending) until one is
    /// given back.
    #[tokio::test]
    async fn images_wait_for_their_turn() {
        let taken = TURNS.acquire_many(THUMBNAILS_AT_ONCE as u32).await.unwrap();
        let waiting = make_off_the_request_path(ImageFormat::Png, png(8, 8).into());
        tokio::pin!(waiting);
        tokio::select! {
            biased;
            _ = &mut waiting => panic!("made while every turn was taken"),
            () = std::future::ready(()) => {}
        }
        drop(taken);
        assert_eq!(waiting.await.unwrap().len(), THUMBNAILS.len());
    }

    #[test]
    fn an_image_claiming_a_huge_size_is_refused_before_it_is_decoded() {
        // A valid PNG header saying 100000 x 100000 pixels, and nothing behind it.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let Err(Error::Invalid(message)) = make(ImageFormat::Png, &bomb) else { panic!("refused") };
        assert!(message.starts_with("the image cannot be read"), "{message}");
    }
}
