#include "engine/runtime/commit_metadata.h"

#include <charconv>

#include <fmt/format.h>

namespace brook {

namespace {
constexpr std::string_view prefix = "brook1 t=";
constexpr std::string_view watermark_field = " w=";
} // namespace

std::string commit_metadata::encode() const {
    std::string out = fmt::format("{}{}", prefix, partition_time);
    if (!watermark.empty() && out.size() + watermark_field.size() + watermark.size() <= max_bytes) {
        out += watermark_field;
        out += watermark;
    }
    return out;
}

std::optional<commit_metadata> commit_metadata::decode(std::string_view text) {
    if (!text.starts_with(prefix)) {
        return std::nullopt;
    }
    text.remove_prefix(prefix.size());
    commit_metadata m;
    const size_t space = text.find(' ');
    const std::string_view time = text.substr(0, space);
    const auto [end, ec] =
        std::from_chars(time.data(), time.data() + time.size(), m.partition_time);
    if (time.empty() || ec != std::errc() || end != time.data() + time.size() ||
        m.partition_time < -1) {
        return std::nullopt;
    }
    if (space != std::string_view::npos) {
        const std::string_view rest = text.substr(space);
        if (!rest.starts_with(watermark_field)) {
            return std::nullopt;
        }
        m.watermark = rest.substr(watermark_field.size());
    }
    return m;
}

} // namespace brook
