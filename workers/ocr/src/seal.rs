//! Red seals out before recognition. A report's seal (公章) is stamped over the signature and
//! often over the last lines of text; Tesseract reads its ring and characters as noise and
//! loses the lines beneath. Seal ink is red and absorbs little red light, so a pixel that is
//! clearly red is paper to the recogniser; black text under the ink stays dark (ink over toner
//! stays dark in every channel) and is kept.

use image::{DynamicImage, GrayImage, Luma};

/// How much redder than green and blue a pixel must be to count as seal ink.
const RED_MARGIN: i32 = 60;
/// Below this red level a pixel is too dark to be seal ink alone (text under the seal).
const RED_FLOOR: i32 = 100;

/// Whether an RGB pixel is seal ink.
pub fn is_seal(r: u8, g: u8, b: u8) -> bool {
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    r >= RED_FLOOR && r - g >= RED_MARGIN && r - b >= RED_MARGIN
}

/// A grey page for Tesseract with seal pixels turned to paper.
pub fn to_gray_without_seal(img: &DynamicImage) -> GrayImage {
    let rgb = img.to_rgb8();
    let mut out = GrayImage::new(rgb.width(), rgb.height());
    for (x, y, p) in rgb.enumerate_pixels() {
        let [r, g, b] = p.0;
        let v = if is_seal(r, g, b) {
            255
        } else {
            // Rec. 601 luma, in integers.
            ((299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000) as u8
        };
        out.put_pixel(x, y, Luma([v]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    #[test]
    fn seal_ink_becomes_paper_and_text_stays() {
        let mut img = RgbImage::from_pixel(4, 1, Rgb([255, 255, 255]));
        img.put_pixel(0, 0, Rgb([215, 30, 35])); // seal ink
        img.put_pixel(1, 0, Rgb([0, 0, 0])); // text
        img.put_pixel(2, 0, Rgb([20, 3, 4])); // text under the seal (ink multiplied)
        img.put_pixel(3, 0, Rgb([240, 200, 200])); // pale pink paper, not ink
        let g = to_gray_without_seal(&DynamicImage::ImageRgb8(img));
        assert_eq!(g.get_pixel(0, 0).0[0], 255);
        assert_eq!(g.get_pixel(1, 0).0[0], 0);
        assert!(g.get_pixel(2, 0).0[0] < 30);
        assert!(g.get_pixel(3, 0).0[0] > 200);
    }
}
