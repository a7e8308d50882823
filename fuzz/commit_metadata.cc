// Fuzzes brook::commit_metadata::decode, which reads the metadata Brook committed beside
// an input offset: text the broker hands back, which may be anyone's.
//
// Invariants: decode returns a value or nullopt, never crashes; a decoded value has
// partition_time >= -1; encode(decode(x)) decodes to the same value (the watermark dropped
// whole only when it was too long to keep, max_bytes) and is stable from then on.

#include "engine/runtime/commit_metadata.h"

#include <string>

#include <fmt/format.h>

#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using brook::commit_metadata;
    const std::string_view text = brook::fuzz::as_text(data, size);
    const std::optional<commit_metadata> m = commit_metadata::decode(text);
    if (!m) {
        return 0;
    }
    FUZZ_CHECK(m->partition_time >= -1, fmt::format("partition time {}", m->partition_time));
    const std::string encoded = m->encode();
    FUZZ_CHECK(encoded.size() <= commit_metadata::max_bytes + 32, "encoded past max_bytes");
    const std::optional<commit_metadata> again = commit_metadata::decode(encoded);
    FUZZ_CHECK(again && again->partition_time == m->partition_time,
               brook::fuzz::excerpt(text) + " -> " + brook::fuzz::excerpt(encoded));
    if (again->watermark.empty() != m->watermark.empty()) {
        FUZZ_CHECK(again->watermark.empty() &&
                       encoded.size() + 3 + m->watermark.size() > commit_metadata::max_bytes,
                   "the watermark was dropped though it fits");
    } else {
        FUZZ_CHECK(again->watermark == m->watermark, "watermark changed");
    }
    // Once written by encode(), the text is stable (decode is lenient: "t=007" reads as 7).
    FUZZ_CHECK(again->encode() == encoded, "encode(decode(encode(x))) != encode(x)");
    return 0;
}
