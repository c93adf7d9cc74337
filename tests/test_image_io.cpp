// tests/test_image_io.cpp — reading what users hand the tool: sizes from the headers of files
// OpenCV writes, the pixel budget checked before decoding, files cut short, GIF refused by name,
// and a JPEG's EXIF orientation applied.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "pixelart/error.h"
#include "pixelart/eval_render.h"
#include "pixelart/eval_run.h"
#include "pixelart/image_io.h"
#include "pixelart/lattice.h"
#include "pixelart/metrics.h"
#include "pixelart/ops.h"
#include "pixelart/train_run.h"
#include "testing.h"

namespace pixelart::testing {
namespace {

std::string temp(const std::string& name) { return ::testing::TempDir() + "/image_io_" + name; }

void write_bytes(const std::string& path, const std::vector<uchar>& b) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

// 40 x 20: left half red, right half blue.
cv::Mat two_halves() {
  cv::Mat m(20, 40, CV_8UC3, cv::Scalar(0, 0, 255));
  m(cv::Rect(20, 0, 20, 20)).setTo(cv::Scalar(255, 0, 0));
  return m;
}

std::string error_of(const std::string& path, int64_t max_pixels = kDefaultMaxPixels) {
  try {
    read_image(path, max_pixels);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    return e.what();
  }
  return "";
}

// score_image's SSIM (its own separable blur, in the core library) against the same formula over
// OpenCV's GaussianBlur (11 x 11, sigma 1.5, BORDER_REFLECT), and its PSNRs against their
// definition, on two noisy RGBA images of an odd size.
TEST(ImageScore, SsimIsOpenCVsGaussianFormulaAndPsnrItsDefinition) {
  const int w = 37, h = 23;
  Sprite a, b;
  a.width = b.width = w, a.height = b.height = h;
  a.rgba.resize(size_t(w) * h * 4), b.rgba.resize(a.rgba.size());
  for (size_t i = 0; i < a.rgba.size(); ++i) {
    a.rgba[i] = uint8_t((i * 2654435761u >> 7) % 256);
    b.rgba[i] = uint8_t(std::clamp<int>(a.rgba[i] + int((i * 40503u >> 5) % 41) - 20, 0, 255));
  }
  const ImageScore got = score_image(b, a);
  cv::Mat X(h, w, CV_64F), Y(h, w, CV_64F);
  double se = 0, se_alpha = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const uint8_t *p = b.px(x, y), *q = a.px(x, y);
      double lp = 0, lq = 0;
      for (int c = 0; c < 3; ++c) {
        const double u = p[c] / 255.0 * p[3] / 255.0, v = q[c] / 255.0 * q[3] / 255.0;
        se += (u - v) * (u - v);
        lp += (c == 0 ? 0.299 : c == 1 ? 0.587 : 0.114) * u, lq += (c == 0 ? 0.299 : c == 1 ? 0.587 : 0.114) * v;
      }
      se_alpha += (p[3] - q[3]) / 255.0 * ((p[3] - q[3]) / 255.0);
      X.at<double>(y, x) = lp, Y.at<double>(y, x) = lq;
    }
  EXPECT_NEAR(got.psnr, 10 * std::log10(3.0 * w * h / se), 1e-9);
  EXPECT_NEAR(got.alpha_psnr, 10 * std::log10(double(w) * h / se_alpha), 1e-9);
  auto blur = [](const cv::Mat& m) {
    cv::Mat o;
    cv::GaussianBlur(m, o, cv::Size(11, 11), 1.5, 1.5, cv::BORDER_REFLECT);
    return o;
  };
  const cv::Mat mx = blur(Y), my = blur(X);  // score_image(out = b, ref = a): x is b's luminance
  const cv::Mat sxx = blur(Y.mul(Y)) - mx.mul(mx), syy = blur(X.mul(X)) - my.mul(my), sxy = blur(Y.mul(X)) - mx.mul(my);
  cv::Mat num = (2 * mx.mul(my) + 1e-4).mul(2 * sxy + 9e-4), den = (mx.mul(mx) + my.mul(my) + 1e-4).mul(sxx + syy + 9e-4), map;
  cv::divide(num, den, map);
  EXPECT_NEAR(got.ssim, cv::mean(map)[0], 1e-9);
  EXPECT_LT(got.ssim, 0.9999);  // the noise shows
  const ImageScore same = score_image(a, a);
  EXPECT_EQ(same.psnr, 99.0);
  EXPECT_NEAR(same.ssim, 1.0, 1e-12);
  EXPECT_EQ(same.opaque_y_psnr, 99.0);
}

// Luma PSNR where the reference is opaque: only those pixels count (a change under transparency
// or partial alpha moves nothing), the output is composited on white, Y as rgb2ycbcr (16-235).
TEST(ImageScore, OpaqueLumaCountsOnlyWhereTheOriginalIsOpaque) {
  Sprite ref, out;
  ref.width = out.width = 4, ref.height = out.height = 1;
  ref.rgba = {10, 200, 30, 255, 90, 90, 90, 255, 0, 0, 0, 0, 250, 10, 10, 128};
  out = ref;
  out.rgba[8] = 255, out.rgba[11] = 255;     // under the original's transparency: not counted
  out.rgba[12] = 0;                           // under its partial alpha: not counted
  EXPECT_EQ(score_image(out, ref).opaque_y_psnr, 99.0);
  out.rgba[3] = 0;                            // the first pixel lost: composited on white
  auto y = [](double r, double g, double b) { return (16 + 65.481 * r + 128.553 * g + 24.966 * b) / 255.0; };
  const double d = y(1, 1, 1) - y(10 / 255.0, 200 / 255.0, 30 / 255.0);
  EXPECT_NEAR(score_image(out, ref).opaque_y_psnr, 10 * std::log10(2.0 / (d * d)), 1e-9);
}

TEST(ImageIo, HeadersGiveTheSizeOfWhatOpenCVWrites) {
  for (const char* ext : {".png", ".jpg", ".bmp", ".webp"}) {
    std::vector<uchar> buf;
    ASSERT_TRUE(cv::imencode(ext, two_halves(), buf)) << ext;
    const std::string path = temp(std::string("size") + ext);
    write_bytes(path, buf);
    const ImageHeader h = read_image_header(path);
    EXPECT_EQ(h.width, 40) << ext;
    EXPECT_EQ(h.height, 20) << ext;
    EXPECT_TRUE(h.complete) << ext;
    EXPECT_EQ(read_image(path).width, 40) << ext;
  }
}

TEST(ImageIo, ThePixelBudgetIsCheckedBeforeDecoding) {
  std::vector<uchar> buf;
  cv::imencode(".png", cv::Mat(2000, 1000, CV_8UC1, cv::Scalar(7)), buf);
  const std::string path = temp("budget.png");
  write_bytes(path, buf);
  const std::string why = error_of(path, 1'000'000);
  EXPECT_NE(why.find("1000x2000 is 2 megapixels, over the budget of 1 per image (--max-pixels"), std::string::npos) << why;
  EXPECT_EQ(read_image(path).height, 2000);  // the default budget takes it
}

TEST(ImageIo, FilesCutShortAreReportedNotDecodedAsGarbage) {
  for (const char* ext : {".png", ".jpg", ".webp", ".bmp"}) {
    std::vector<uchar> buf;
    cv::imencode(ext, two_halves(), buf);
    buf.resize(buf.size() / 2);
    const std::string path = temp(std::string("cut") + ext);
    write_bytes(path, buf);
    const std::string why = error_of(path);
    EXPECT_NE(why.find("cut short"), std::string::npos) << ext << ": " << why;
  }
}

TEST(ImageIo, LongMetadataAndDataAfterTheEndAreNoDamage) {
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", two_halves(), jpeg);
  // an APP2 segment of 65 KB before the frame header (ICC profiles are so), twice: the frame
  // header lies past the first 64 KB read
  std::vector<uchar> app = {0xFF, 0xE2, 0xFF, 0xFF};
  app.resize(2 + 0xFFFF, 'x');
  jpeg.insert(jpeg.begin() + 2, app.begin(), app.end());
  jpeg.insert(jpeg.begin() + 2, app.begin(), app.end());
  // and 200 KB after the end (a camera's appended video)
  jpeg.resize(jpeg.size() + 200 * 1024, 7);
  const std::string path = temp("long.jpg");
  write_bytes(path, jpeg);
  const ImageHeader h = read_image_header(path);
  EXPECT_EQ(h.width, 40);
  EXPECT_EQ(h.height, 20);
  EXPECT_TRUE(h.complete);
  EXPECT_EQ(read_image(path).width, 40);
}

TEST(ImageIo, GifIsRefusedByName) {
  const std::string path = temp("anim.gif");
  write_bytes(path, {'G', 'I', 'F', '8', '9', 'a', 40, 0, 20, 0, 0, 0, 0, ';'});
  EXPECT_NE(error_of(path).find("GIF is not supported"), std::string::npos);
}

TEST(ImageIo, AJpegsExifOrientationIsApplied) {
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", two_halves(), jpeg, {cv::IMWRITE_JPEG_QUALITY, 95});
  // APP1 "Exif": a big-endian TIFF header and one IFD entry, Orientation (0x0112) = 6: the stored
  // image is to be turned 90 degrees clockwise to be seen upright.
  const std::vector<uchar> tiff = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0};
  std::vector<uchar> app1 = {0xFF, 0xE1, 0, 0, 'E', 'x', 'i', 'f', 0, 0};
  app1.insert(app1.end(), tiff.begin(), tiff.end());
  app1[2] = uchar((app1.size() - 2) >> 8), app1[3] = uchar((app1.size() - 2) & 0xFF);
  jpeg.insert(jpeg.begin() + 2, app1.begin(), app1.end());
  const std::string path = temp("rotated.jpg");
  write_bytes(path, jpeg);
  const Sprite s = read_image(path);
  ASSERT_EQ(s.width, 20);
  ASSERT_EQ(s.height, 40);
  // turned clockwise: the left half (red) is now on top
  EXPECT_GT(s.px(10, 5)[0], 200);
  EXPECT_LT(s.px(10, 5)[2], 60);
  EXPECT_GT(s.px(10, 35)[2], 200);
}

TEST(ImageIo, PipesAndFoldersAreNamedForWhatTheyAre) {
  EXPECT_NE(error_of("/dev/zero").find("not a regular file"), std::string::npos);
  EXPECT_NE(error_of(::testing::TempDir()).find("a folder"), std::string::npos);
}

// The antialiased bicubic shrink against Pillow 13's Image.resize(BICUBIC) on a 9x7 image shrunk to
// 3x2 (Pillow rounds to 8 bits between its two passes, so within a level), and what sets it apart
// from cv::resize's cubic: a one-in-three pattern shrunk by 3 comes out as its mean, and a
// transparent pixel's stored colour never shows.
TEST(ImageIo, AntialiasedBicubicIsPillowsAndSeesEveryPixel) {
  Sprite img;
  img.width = 9, img.height = 7;
  img.rgba.resize(9 * 7 * 4);
  for (int y = 0; y < 7; ++y)
    for (int x = 0; x < 9; ++x) {
      uint8_t* p = img.px(x, y);
      p[0] = uint8_t((x * 37 + y * 11) % 256), p[1] = uint8_t((x * x * 5 + y * 29) % 256), p[2] = (x + y) % 3 == 0 ? 255 : 40;
      p[3] = 255;
    }
  const int pillow[] = {55, 48, 111, 169, 126, 112, 107, 127, 110, 93, 147, 113, 182, 161, 112, 86, 122, 110};
  const Sprite small = resize_cubic_antialiased(img, 3, 2);
  for (int k = 0; k < 18; ++k) EXPECT_NEAR(int(small.rgba[size_t(k / 3 * 4 + k % 3)]), pillow[k], 1) << "value " << k;
  Sprite stripes;  // columns 255, 0, 0, 255, 0, 0 ... in every channel
  stripes.width = 48, stripes.height = 12;
  stripes.rgba.resize(48 * 12 * 4);
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 48; ++x) std::fill(stripes.px(x, y), stripes.px(x, y) + 3, uint8_t(x % 3 ? 0 : 255)), stripes.px(x, y)[3] = 255;
  const Sprite aa = resize_cubic_antialiased(stripes, 16, 4), plain = resize_with(stripes, 16, 4, Filter::Cubic);
  for (int x = 2; x < 14; ++x) EXPECT_NEAR(int(aa.px(x, 1)[0]), 85, 2) << x;  // the mean
  EXPECT_GT(std::abs(int(plain.px(5, 1)[0]) - 85), 40);  // the plain cubic samples one column in three
  Sprite holes = img;  // every other pixel transparent, its stored colour white
  for (size_t p = 0; p < size_t(9 * 7); p += 2) std::fill(holes.rgba.begin() + long(p * 4), holes.rgba.begin() + long(p * 4 + 4), uint8_t(255)), holes.rgba[p * 4 + 3] = 0;
  Sprite black = holes;
  for (size_t p = 0; p < size_t(9 * 7); p += 2) std::fill(black.rgba.begin() + long(p * 4), black.rgba.begin() + long(p * 4 + 3), uint8_t(0));
  EXPECT_EQ(resize_cubic_antialiased(holes, 3, 2).rgba, resize_cubic_antialiased(black, 3, 2).rgba);
}

// The device resampler's antialiased bicubic (resize_images, what `train upscale --shrink
// bicubic-aa` shrinks patches with) is the same filter: on opaque images, within the 8-bit
// rounding of the reference's output, at every shrink it trains with and enlarging.
TEST(ImageIo, TheDevicesAntialiasedBicubicIsTheReferences) {
  Sprite img;
  img.width = 61, img.height = 47;
  img.rgba.resize(size_t(61) * 47 * 4);
  for (int y = 0; y < 47; ++y)
    for (int x = 0; x < 61; ++x) {
      uint8_t* p = img.px(x, y);
      p[0] = uint8_t((x * 37 + y * 11) % 256), p[1] = uint8_t(128 + 120 * std::sin(0.3 * x * y)), p[2] = (x / 3 + y / 2) % 2 ? 230 : 20;
      p[3] = 255;
    }
  std::vector<double> v(img.rgba.size());
  for (size_t k = 0; k < v.size(); ++k) v[k] = img.rgba[k] / 255.0;
  const Tensor x = Tensor::from_vector(v, {1, 47, 61, 4});
  for (const auto& [w, h] : {std::pair{30, 23}, std::pair{20, 15}, std::pair{15, 11}, std::pair{13, 10}, std::pair{90, 70}}) {
    const Sprite ref = resize_cubic_antialiased(img, w, h);
    const auto got = resize_images(x, h, w, ResizeFilter::BicubicAntialiased).to_vector();
    double worst = 0;
    for (size_t k = 0; k < got.size(); ++k)
      if (k % 4 != 3) worst = std::max(worst, std::abs(std::clamp(double(got[k]), 0.0, 1.0) * 255 - ref.rgba[k]));
    EXPECT_LE(worst, 0.5 + 1e-3) << w << "x" << h;
  }
}

// eval-upscale's evaluation: every image at every factor under every method, bicubic's figure
// the score of cv::resize's cubic enlargement of the shrunk image, and the per-image table worst
// gain first; eval's families refuse an unknown name before any work, naming the ones it knows.
// --data holes:COUNT: procedural sprites with pockets, from other seeds than gen:COUNT's (so both
// can be trained on together); a count that is not a whole positive number is a usage error.
TEST(SpriteSources, HolesAreOtherProceduralSpritesThanGens) {
  const SpriteSet both = load_sprite_sources("gen:20,holes:20", 16, 1);
  ASSERT_EQ(both.size(), 40);
  for (size_t i = 0; i < 20; ++i) {
    EXPECT_EQ(both.names[i].rfind("generated#", 0), 0u) << both.names[i];
    EXPECT_EQ(both.names[20 + i].rfind("generated-holes#", 0), 0u) << both.names[20 + i];
  }
  EXPECT_EQ(dedupe([&] {
              std::vector<Sprite> v;
              for (int i = 0; i < 40; ++i) v.push_back(both.sprite(i));
              return v;
            }()).size(),
            40u);
  for (const char* bad : {"holes:0", "holes:x", "holes:12x", "gen:-3"}) {
    try {
      load_sprite_sources(bad, 16, 1);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Usage) << bad;
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST(EvalRender, ResampledRendersAtThreeToSixPixelsACellKeepTheirGrid) {
  // eval's web damage (OpenCV's resampling round trips and JPEG) on procedural sprites: the grid
  // of art resampled twice at 3 to 5 pixels a cell keeps a coherence of only 0.15 to 0.2, and is
  // found where both axes agree (91.8% of these 256 got their size before that rule, 94.5% after)
  const SpriteSet set = load_sprite_sources("gen:200", 16, 1);
  int right = 0, weak = 0;
  for (uint64_t i = 0; i < 256; ++i) {
    double px = 0, py = 0;
    const EvalSample s = render_user_sample(set, UserFamily::Web, 20261121, i, &px, &py);
    const Lattice l = find_lattice(s.image);
    right += l.found && l.x.cells == s.truth.width && l.y.cells == s.truth.height;
    if (l.found && l.confidence < kMinCoherence) {
      ++weak;
      EXPECT_NEAR(l.x.pitch, px, 0.06 * px) << i << ": " << l.describe() << " for " << s.what;
      EXPECT_NEAR(l.y.pitch, py, 0.06 * py) << i << ": " << l.describe() << " for " << s.what;
    }
  }
  EXPECT_GT(weak, 0);
  EXPECT_GE(right, 240) << "of 256";
}

TEST(EvalRun, UpscalingScoresEveryImageAndFactorAndEvalRefusesUnknownFamilies) {
  std::vector<Sprite> refs;
  for (int k = 0; k < 3; ++k) {
    Sprite s;
    s.width = s.height = 48;
    s.rgba.resize(48 * 48 * 4);
    for (int y = 0; y < 48; ++y)
      for (int x = 0; x < 48; ++x) {
        uint8_t* p = s.px(x, y);
        p[0] = uint8_t((x * (7 + k)) % 256), p[1] = uint8_t((y * 5) % 256), p[2] = uint8_t(((x + y) * 3 * k) % 256), p[3] = 255;
      }
    refs.push_back(s);
  }
  UpscalerConfig cfg;
  cfg.filters = {8};
  cfg.kernels = {3, 3};
  const Upscaler model(cfg, 1);
  UpscaleEvalOptions o;
  o.factors = {2, 3};
  o.shrink = parse_shrink("cubic");
  const UpscaleEval r = evaluate_upscaling(refs, [&](int) -> const Upscaler& { return model; }, o);
  ASSERT_EQ(r.scores.size(), 2u);
  for (const auto& [f, m] : r.scores) {
    ASSERT_EQ(m.size(), 3u);  // bicubic, lanczos, upscaler (no ensemble asked for)
    for (const auto& [method, sc] : m) EXPECT_EQ(sc.n, 3) << to_string(method);
    for (size_t i = 0; i < refs.size(); ++i) {
      const Sprite small = resize_with(refs[i], 48 / f, 48 / f, Filter::Cubic);
      EXPECT_DOUBLE_EQ(m.at(UpscaleMethod::Bicubic).psnr[i], score_image(resize_with(small, 48, 48, Filter::Cubic), refs[i]).psnr);
    }
  }
  EXPECT_GT(r.megapixels, 0);
  // a peer's two rows: each image upscaled by it, scored like the rest; a peer that cannot run
  // adds none
  UpscaleEvalOptions with_peer = o;
  int calls = 0;
  with_peer.peer = [&](const std::vector<Sprite>& small, int f) -> std::optional<PeerOutputs> {
    ++calls;
    EXPECT_EQ(small.size(), refs.size());
    if (f == 3) return std::nullopt;
    PeerOutputs p;
    for (const Sprite& s : small) {
      p.reference_alpha.push_back(resize_with(s, s.width * f, s.height * f, Filter::Cubic));
      p.bicubic_alpha.push_back(resize_with(s, s.width * f, s.height * f, Filter::Lanczos));
    }
    return p;
  };
  const UpscaleEval rp = evaluate_upscaling(refs, [&](int) -> const Upscaler& { return model; }, with_peer);
  EXPECT_EQ(calls, 2);
  ASSERT_EQ(rp.scores.at(2).size(), 5u);
  EXPECT_EQ(rp.scores.at(2).at(UpscaleMethod::Waifu2x).psnr, rp.scores.at(2).at(UpscaleMethod::Bicubic).psnr);
  EXPECT_EQ(rp.scores.at(2).at(UpscaleMethod::Waifu2xBicubicAlpha).psnr, rp.scores.at(2).at(UpscaleMethod::Lanczos).psnr);
  EXPECT_EQ(rp.scores.at(3).size(), 3u);
  const std::vector<std::string> names{"a.png", "b.png", "c.png"};
  const std::string table = upscale_eval_table(r, refs, &names);
  EXPECT_NE(table.find("x3      upscaler"), std::string::npos) << table;
  EXPECT_NE(table.find("x2 median gain over bicubic"), std::string::npos) << table;
  EXPECT_NE(upscale_eval_json(r, o, "cubic", 48, 3, [](int) { return std::string("m"); }, nullptr).find("\"shrink\": \"cubic\""),
            std::string::npos);
  try {
    parse_shrink("box");
    FAIL() << "an unknown shrink was taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
  }
  const Restorer restorer(RestorerConfig::narrow(), 1);
  const SpriteSet held = SpriteSet::pack({generate_sprite(1, 16)}, 16);
  try {
    evaluate_families(restorer, held, {"clean", "user-blurry"}, {}, Device::CPU);
    FAIL() << "an unknown family was evaluated";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
    EXPECT_NE(std::string(e.what()).find("unknown family 'user-blurry' (clean, original, hard, outside, user-clean"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace pixelart::testing
