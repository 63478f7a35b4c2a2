#include "router/http/sse.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace weft::router::http {

std::string SseEvent(absl::string_view data) {
  std::string event;
  event.reserve(data.size() + 8);
  for (absl::string_view line : absl::StrSplit(data, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    absl::StrAppend(&event, "data: ", line, "\n");
  }
  event += "\n";
  return event;
}

}  // namespace weft::router::http
