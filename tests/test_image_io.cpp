// tests/test_image_io.cpp — reading what users hand the tool: sizes from the headers of files
// OpenCV writes, the pixel budget checked before decoding, files cut short, GIF refused by name,
// and a JPEG's EXIF orientation applied.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "pixelart/error.h"
#include "pixelart/image_io.h"
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

}  // namespace
}  // namespace pixelart::testing
