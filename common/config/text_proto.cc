#include "common/config/text_proto.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace weft {
namespace {

// Collects every parser error with its position (1-based, as editors count).
// Each error also quotes the offending line, so that a type error names the
// field it is about ("Expected integer, got: \"soon\"" alone does not).
class CollectingErrorPrinter : public google::protobuf::io::ErrorCollector {
 public:
  CollectingErrorPrinter(absl::string_view source, absl::string_view text)
      : source_(source), lines_(absl::StrSplit(text, '\n')) {}

  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    std::string error = absl::StrCat(source_, ":", line + 1, ":", column + 1, ": ", message);
    if (line >= 0 && static_cast<size_t>(line) < lines_.size()) {
      absl::string_view quoted = absl::StripAsciiWhitespace(lines_[line]);
      if (quoted.size() > 120) quoted = quoted.substr(0, 120);
      if (!quoted.empty()) absl::StrAppend(&error, " (in: ", quoted, ")");
    }
    errors_.push_back(std::move(error));
  }

  void AddWarning(int line, google::protobuf::io::ColumnNumber column,
                  const std::string& message) override {
    // Warnings (e.g. deprecated fields) are errors in a validated config.
    AddError(line, column, message);
  }

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string source_;
  std::vector<absl::string_view> lines_;
  std::vector<std::string> errors_;
};

}  // namespace

absl::Status ParseTextProto(absl::string_view text, absl::string_view source,
                            google::protobuf::Message* message) {
  message->Clear();
  if (text.size() > kMaxConfigFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": ", text.size(), " bytes exceeds the limit of ", kMaxConfigFileBytes));
  }
  CollectingErrorPrinter errors(source, text);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.AllowUnknownField(false);
  parser.AllowUnknownExtension(false);
  parser.AllowPartialMessage(false);
  parser.AllowFieldNumber(false);
  // Protobuf's recursion limit is 100 by default; configs are shallow.
  parser.SetRecursionLimit(32);
  const bool ok = parser.ParseFromString(std::string(text), message);
  if (!ok || !errors.errors().empty()) {
    if (errors.errors().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": cannot parse as ", message->GetTypeName()));
    }
    return absl::InvalidArgumentError(absl::StrJoin(errors.errors(), "; "));
  }
  return absl::OkStatus();
}

absl::Status LoadTextProtoFile(const std::string& path, google::protobuf::Message* message) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot open: ", std::strerror(err)));
  }
  std::string text;
  text.resize(kMaxConfigFileBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat(path, ": read error"));
  text.resize(static_cast<size_t>(in.gcount()));
  return ParseTextProto(text, path, message);
}

absl::Status MergeTextProtoOverride(absl::string_view text, absl::string_view source,
                                    google::protobuf::Message* message) {
  std::unique_ptr<google::protobuf::Message> overlay(message->New());
  if (absl::Status s = ParseTextProto(text, source, overlay.get()); !s.ok()) return s;
  message->MergeFrom(*overlay);
  return absl::OkStatus();
}

}  // namespace weft
