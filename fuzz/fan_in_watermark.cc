// Fuzzes brook::fan_in_watermark::restore, which reads the writers' state back from the
// commit metadata of a repartition partition (text from the broker). The first byte
// chooses how many writer groups the watermark expects (1 to 3), the next two bytes of each
// its sub-topology (0 to 9) and tasks (1 to 8); the rest is the text.
//
// Invariants: restore returns true or false, never crashes; false changes nothing
// (encode() is as before); after true, encode() restores into a fresh watermark of the
// same groups to the same text (the round trip), value() is unchanged by restore and never
// goes back when the idle claims are then confirmed.

#include "engine/runtime/fan_in_watermark.h"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using brook::fan_in_watermark;
    if (size == 0) {
        return 0;
    }
    std::vector<fan_in_watermark::writer_group> groups(1 + data[0] % 3);
    size_t at = 1;
    for (auto& g : groups) {
        g.subtopology = at < size ? data[at] % 10 : 0;
        g.tasks = at + 1 < size ? 1 + data[at + 1] % 8 : 1;
        at += 2;
    }
    const std::string text(brook::fuzz::as_text(data, size).substr(std::min(at, size)));

    fan_in_watermark w(groups);
    const std::string before = w.encode();
    FUZZ_CHECK(fan_in_watermark(groups).restore(before), "a fresh encoding is refused: " + before);
    if (!w.restore(text)) {
        FUZZ_CHECK(w.encode() == before, "a refused restore changed the state");
        return 0;
    }
    FUZZ_CHECK(w.value() == -1, "restore moved the value");
    const std::string encoded = w.encode();
    fan_in_watermark again(groups);
    FUZZ_CHECK(again.restore(encoded) && again.encode() == encoded,
               brook::fuzz::excerpt(text) + " -> " + brook::fuzz::excerpt(encoded));

    const auto confirm_all = [](int, int32_t, const std::vector<int64_t>&, int64_t) {
        return true;
    };
    (void)w.waits_on_idle_writers();
    (void)w.recompute(confirm_all);
    FUZZ_CHECK(w.value() >= -1, fmt::format("value {}", w.value()));
    const int64_t value = w.value();
    (void)w.recompute({});
    FUZZ_CHECK(w.value() == value, "value went back");
    return 0;
}
