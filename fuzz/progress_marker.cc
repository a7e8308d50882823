// Fuzzes brook::progress_marker::parse, which reads the "__brook.progress" header of a
// record in a repartition topic (a topic anyone with write access can write to).
//
// Invariants: parse returns a marker or nullopt, never crashes; a marker has at most
// max_inputs ends, and ends only when idle; encode(parse(x)) parses to the same marker.

#include "engine/runtime/progress_marker.h"

#include <string>

#include <fmt/format.h>

#include "fuzz/fuzz_support.h"

namespace {

bool same(const brook::progress_marker& a, const brook::progress_marker& b) {
    return a.subtopology == b.subtopology && a.partition == b.partition && a.tasks == b.tasks &&
           a.stream_time == b.stream_time && a.idle == b.idle && a.wall_ms == b.wall_ms &&
           a.ends == b.ends;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using brook::progress_marker;
    const std::string_view text = brook::fuzz::as_text(data, size);
    const std::optional<progress_marker> m = progress_marker::parse(text);
    if (!m) {
        return 0;
    }
    FUZZ_CHECK(m->ends.size() <= progress_marker::max_inputs,
               fmt::format("{} ends", m->ends.size()));
    FUZZ_CHECK(m->idle || m->ends.empty(), "ends on an active marker");
    const std::string encoded = m->encode();
    const std::optional<progress_marker> again = progress_marker::parse(encoded);
    FUZZ_CHECK(again && same(*again, *m),
               brook::fuzz::excerpt(text) + " -> " + brook::fuzz::excerpt(encoded));
    return 0;
}
