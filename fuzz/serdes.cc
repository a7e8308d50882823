// Fuzzes the serdes that read bytes from Kafka: default_serde for int32, int64, double,
// std::string and nlohmann::json (and their std::optional forms), and the apps' own:
// metric_key_serde and metric_stats_serde (metrics), json_serde<activity> and
// json_serde<activity_totals> (user activity). The first input byte picks the serde, the
// second whether the bytes are a Kafka null; the rest are the bytes.
//
// Invariants: deserializing either returns a value or throws serde_error (nothing else,
// no crash); a value serializes to bytes that deserialize to the same value; for the
// fixed-width and length-prefixed forms the bytes themselves come back unchanged
// (doubles: every NaN is written as Java's one NaN).
//
// Found: JSON nested 100,000 deep was read, then overflowed the stack when written back;
// json_serde now refuses nesting deeper than max_json_depth (seed-json-deep-nesting).
// Found: json_serde<activity> and json_serde<activity_totals> cast a number beyond int64
// (1e300, 2^64) into an int64_t field: undefined behaviour; their from_json now checks
// (regression-json-float-to-int).

#include "engine/serde/serdes.h"

#include <bit>
#include <cmath>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "apps/metrics/metrics_topology.h"
#include "apps/user_activity/user_activity_topology.h"
#include "engine/serde/json_serde.h"
#include "fuzz/fuzz_support.h"

namespace {

using namespace brook;
using namespace brook::apps;

// Deserializes `in` with S; on success serializes the value and checks that it reads back
// equal (`equal`), and, when `canonical`, that the bytes are the input's.
template <class S, class Equal>
void round_trip(const S& serde, nullable_bytes in, bool canonical, Equal equal) {
    using value_type =
        std::remove_cvref_t<decltype(serde.deserialize(std::declval<nullable_bytes>()))>;
    std::optional<value_type> value;
    try {
        value.emplace(serde.deserialize(in));
    } catch (const serde_error&) {
        return; // refused: fine
    }
    std::string buffer;
    const nullable_bytes out = serde.serialize(*value, buffer);
    if (canonical) {
        FUZZ_CHECK(out.has_value() == in.has_value() && (!out || *out == *in),
                   fmt::format("{} -> {}", in ? fuzz::excerpt(*in) : "null",
                               out ? fuzz::excerpt(*out) : "null"));
    }
    std::string copy = out ? std::string(*out) : std::string();
    const auto back =
        serde.deserialize(out ? nullable_bytes(std::string_view(copy)) : std::nullopt);
    FUZZ_CHECK(equal(back, *value), "read back differently: " + (in ? fuzz::excerpt(*in) : "null"));
}

const auto equal = [](const auto& a, const auto& b) { return a == b; };

template <class T>
void json_round_trip(nullable_bytes in) {
    const json_serde<T> serde;
    std::optional<T> value;
    try {
        value.emplace(serde.deserialize(in));
    } catch (const serde_error&) {
        return;
    }
    std::string buffer;
    const nullable_bytes out = serde.serialize(*value, buffer);
    FUZZ_CHECK(out.has_value(), "json_serde wrote null");
    const std::string first(*out);
    std::string again;
    const nullable_bytes out2 = serde.serialize(serde.deserialize(nullable_bytes(first)), again);
    FUZZ_CHECK(out2 && *out2 == first, fmt::format("not stable: {} -> {}", fuzz::excerpt(first),
                                                   out2 ? fuzz::excerpt(*out2) : "null"));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) {
        return 0;
    }
    const uint8_t which = data[0];
    const bool null = (data[1] & 1) != 0;
    const std::string_view rest = fuzz::as_text(data + 2, size - 2);
    const nullable_bytes in = null ? nullable_bytes() : nullable_bytes(rest);
    switch (which % 12) {
    case 0:
        round_trip(default_serde<int32_t>{}, in, true, equal);
        break;
    case 1:
        round_trip(default_serde<int64_t>{}, in, true, equal);
        break;
    case 2: {
        const default_serde<double> serde;
        try {
            const double d = serde.deserialize(in);
            std::string buffer;
            const nullable_bytes out = serde.serialize(d, buffer);
            FUZZ_CHECK(out && out->size() == 8, "double width");
            if (!std::isnan(d)) {
                FUZZ_CHECK(*out == *in, "double bytes");
            } else {
                FUZZ_CHECK(std::isnan(serde.deserialize(out)), "NaN");
            }
        } catch (const serde_error&) {
        }
        break;
    }
    case 3:
        round_trip(default_serde<std::string>{}, in, !null, equal);
        break;
    case 4:
        round_trip(default_serde<std::optional<std::string>>{}, in, true, equal);
        break;
    case 5:
        round_trip(default_serde<std::optional<int64_t>>{}, in, true, equal);
        break;
    case 6:
        round_trip(default_serde<nlohmann::json>{}, in, false, equal);
        break;
    case 7:
        round_trip(default_serde<std::optional<nlohmann::json>>{}, in, false, equal);
        break;
    case 8:
        round_trip(metric_key_serde{}, in, true, equal);
        break;
    case 9:
        round_trip(metric_stats_serde{}, in, true,
                   [](const metric_stats& a, const metric_stats& b) {
                       return a.count == b.count &&
                              std::bit_cast<uint64_t>(a.sum) == std::bit_cast<uint64_t>(b.sum) &&
                              std::bit_cast<uint64_t>(a.min) == std::bit_cast<uint64_t>(b.min) &&
                              std::bit_cast<uint64_t>(a.max) == std::bit_cast<uint64_t>(b.max);
                   });
        break;
    case 10:
        json_round_trip<activity>(in);
        break;
    case 11:
        json_round_trip<activity_totals>(in);
        break;
    }
    return 0;
}
