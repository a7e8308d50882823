#include "apps/loadgen/generators.h"

#include <algorithm>
#include <cmath>
#include <concepts>

#include <fmt/format.h>

#include "engine/errors.h"

namespace brook::apps {

namespace {

constexpr uint32_t one_million = 1'000'000;

// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and fully specified, so a seed gives
// the same numbers with every compiler and standard library.
uint64_t draw(uint64_t& state) noexcept {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// The random state of one record, a function of seed and index only, so that a record
// can be written again (as a duplicate) without replaying the ones before it.
uint64_t record_state(uint64_t seed, uint64_t index) noexcept {
    uint64_t s = seed;
    uint64_t state = draw(s) ^ (index * 0xd1b54a32d192ed03ULL);
    (void)draw(state); // decorrelate neighbouring indices before the first real draw
    return state;
}

// Appending pieces directly: fmt::format_to parses its format string on every call,
// which made formatting most of the generators' time.
void append_piece(std::string& out, std::string_view piece) {
    out.append(piece);
}

template <std::integral T>
void append_piece(std::string& out, T number) {
    const fmt::format_int text(number);
    out.append(text.data(), text.size());
}

template <typename... Pieces>
void append(std::string& out, const Pieces&... pieces) {
    (append_piece(out, pieces), ...);
}

// Builds a JSON object field by field, because each malformation drops or changes one.
class json_object_writer {
public:
    explicit json_object_writer(std::string& out) : _out(out) { _out += '{'; }
    // Appends `"name":` (after a comma where one is needed); the caller appends the value.
    std::string& field(std::string_view name) {
        if (!_first) {
            _out += ',';
        }
        _first = false;
        append(_out, "\"", name, "\":");
        return _out;
    }
    void close() { _out += '}'; }

private:
    std::string& _out;
    bool _first = true;
};

// A strict prefix of a JSON object is never valid JSON: the closing brace is missing.
void cut_in_half(std::string& value) {
    value.resize(value.size() / 2);
}

constexpr std::array metric_kinds_list{
    malformation::not_json,         malformation::not_an_object,    malformation::missing_name,
    malformation::missing_host,     malformation::missing_value,    malformation::name_not_string,
    malformation::host_not_string,  malformation::empty_name,       malformation::empty_host,
    malformation::value_not_number, malformation::value_not_finite, malformation::ts_negative,
    malformation::ts_not_integer,   malformation::unit_not_string,  malformation::tags_not_object,
};

constexpr std::array user_event_kinds_list{
    malformation::not_json,           malformation::not_an_object,   malformation::missing_event_id,
    malformation::empty_event_id,     malformation::missing_user_id, malformation::empty_user_id,
    malformation::missing_event_type, malformation::ts_negative,     malformation::ts_not_integer,
};

constexpr std::array order_event_kinds_list{
    malformation::not_json,         malformation::not_an_object,   malformation::missing_event_id,
    malformation::empty_event_id,   malformation::missing_user_id, malformation::empty_user_id,
    malformation::missing_order_id, malformation::amount_negative, malformation::amount_not_integer,
    malformation::ts_negative,      malformation::ts_not_integer,
};

constexpr std::array metrics_inputs{loadgen_input::raw_metrics};
constexpr std::array activity_inputs{loadgen_input::user_events, loadgen_input::order_events};

constexpr std::array<std::string_view, 6> event_types{"page_view",   "click",    "search",
                                                      "add_to_cart", "checkout", "login"};

// Writes "ts" when `with_ts` or when the malformation is in it; a well-formed record
// without "ts" has its event time only as the record timestamp, which the apps then use.
void write_ts(json_object_writer& w, malformation kind, int64_t ts, bool with_ts) {
    if (kind == malformation::ts_negative) {
        append(w.field("ts"), "-1000");
    } else if (kind == malformation::ts_not_integer) {
        append(w.field("ts"), ts, ".5");
    } else if (with_ts) {
        append(w.field("ts"), ts);
    }
}

} // namespace

std::string_view to_string(malformation kind) noexcept {
    switch (kind) {
    case malformation::none:
        return "none";
    case malformation::not_json:
        return "not_json";
    case malformation::not_an_object:
        return "not_an_object";
    case malformation::ts_negative:
        return "ts_negative";
    case malformation::ts_not_integer:
        return "ts_not_integer";
    case malformation::missing_name:
        return "missing_name";
    case malformation::missing_host:
        return "missing_host";
    case malformation::missing_value:
        return "missing_value";
    case malformation::name_not_string:
        return "name_not_string";
    case malformation::host_not_string:
        return "host_not_string";
    case malformation::empty_name:
        return "empty_name";
    case malformation::empty_host:
        return "empty_host";
    case malformation::value_not_number:
        return "value_not_number";
    case malformation::value_not_finite:
        return "value_not_finite";
    case malformation::unit_not_string:
        return "unit_not_string";
    case malformation::tags_not_object:
        return "tags_not_object";
    case malformation::missing_event_id:
        return "missing_event_id";
    case malformation::empty_event_id:
        return "empty_event_id";
    case malformation::missing_user_id:
        return "missing_user_id";
    case malformation::empty_user_id:
        return "empty_user_id";
    case malformation::missing_event_type:
        return "missing_event_type";
    case malformation::missing_order_id:
        return "missing_order_id";
    case malformation::amount_negative:
        return "amount_negative";
    case malformation::amount_not_integer:
        return "amount_not_integer";
    }
    return "unknown";
}

std::string_view default_topic(loadgen_input input) noexcept {
    switch (input) {
    case loadgen_input::raw_metrics:
        return "raw-metrics";
    case loadgen_input::user_events:
        return "user-events";
    case loadgen_input::order_events:
        return "order-events";
    }
    return "unknown";
}

uint32_t ratio_to_ppm(double ratio, double max, std::string_view what) {
    if (!std::isfinite(ratio) || ratio < 0 || ratio > max) {
        throw config_error(
            fmt::format("{} must be a number from 0 to {}, got {}", what, max, ratio));
    }
    const auto ppm = static_cast<uint32_t>(std::llround(ratio * one_million));
    if (ratio > 0 && ppm == 0) {
        throw config_error(fmt::format(
            "{} {} is below one in a million, the finest ratio the generators keep; use 0 or "
            "at least 0.000001",
            what, ratio));
    }
    return ppm;
}

// ---- record_generator ---------------------------------------------------------------

record_generator::record_generator(const generator_options& options)
    : _options(options),
      _malformed_ppm(ratio_to_ppm(options.malformed_ratio, 1.0, "malformed_ratio")),
      _duplicate_ppm(ratio_to_ppm(options.duplicate_ratio, 1.0, "duplicate_ratio")),
      _schedule_rng(options.seed ^ 0x5eed5c4ed01e5ULL) {
    if (_duplicate_ppm >= one_million) {
        throw config_error("duplicate_ratio must be below 1: a duplicate needs an original");
    }
    if (options.start_ts < 1) {
        throw config_error(fmt::format(
            "start_ts must be at least 1 (epoch ms; Kafka producers read 0 as \"now\"), got {}",
            options.start_ts));
    }
    if (options.ts_step < 0) {
        throw config_error(
            fmt::format("ts_step must be 0 or more milliseconds, got {}", options.ts_step));
    }
}

const generated_record& record_generator::next() {
    const uint64_t index = _generated++;
    const loadgen_input input = choose_input();
    input_schedule& s = _schedules[static_cast<size_t>(input)];
    generated_record& r = _record;
    r.input = input;
    r.kind = malformation::none;
    r.duplicate = false;
    r.timestamp = _options.start_ts + static_cast<int64_t>(index) * _options.ts_step;

    s.malformed_acc += _malformed_ppm;
    if (s.malformed_acc >= one_million) {
        s.malformed_acc -= one_million;
        const std::span<const malformation> kinds = malformations(input);
        r.kind = kinds[s.kind_cursor++ % kinds.size()];
        ++_malformed;
        write(index, input, r.kind, r.timestamp, r.key, r.value);
        return r;
    }
    s.duplicate_acc += _duplicate_ppm;
    // The ring is never empty here: an input's first well-formed record cannot reach the
    // threshold (duplicate_ppm < one million), and it becomes the first original.
    if (s.duplicate_acc >= one_million && s.recent_count > 0) {
        s.duplicate_acc -= one_million;
        const uint64_t available = std::min<uint64_t>(s.recent_count, s.recent.size());
        const uint64_t back = draw(_schedule_rng) % available;
        const uint64_t original = s.recent[(s.recent_count - 1 - back) % s.recent.size()];
        r.timestamp = _options.start_ts + static_cast<int64_t>(original) * _options.ts_step;
        r.duplicate = true;
        ++_duplicates;
        write(original, input, malformation::none, r.timestamp, r.key, r.value);
        return r;
    }
    s.recent[s.recent_count++ % s.recent.size()] = index;
    write(index, input, malformation::none, r.timestamp, r.key, r.value);
    return r;
}

// ---- metrics_generator --------------------------------------------------------------

metrics_generator::metrics_generator(const generator_options& options) : record_generator(options) {
    if (options.hosts < 1 || options.hosts > 1'000'000) {
        throw config_error(fmt::format("hosts must be from 1 to 1000000, got {}", options.hosts));
    }
    if (options.names < 1 || options.names > 1'000'000) {
        throw config_error(fmt::format("names must be from 1 to 1000000, got {}", options.names));
    }
    _hosts.reserve(static_cast<size_t>(options.hosts));
    for (int i = 0; i < options.hosts; ++i) {
        _hosts.push_back(fmt::format("host-{:03}", i));
    }
    // The first names exercise each normalisation of the app: case and spaces trimmed,
    // ms -> s, percent and % -> ratio, other units and none passed through.
    const std::array<metric_kind, 6> base{{
        {" CPU.Usage ", "percent", 1000, true},
        {"Request.Latency", "ms", 20000, true},
        {"disk.free", "bytes", 500'000'000'000, false},
        {"mem.used", "%", 1000, true},
        {"gc.pause", "s", 50, true},
        {"load.avg", "", 160, true},
    }};
    for (int i = 0; i < options.names; ++i) {
        if (i < static_cast<int>(base.size())) {
            _kinds.push_back(base[static_cast<size_t>(i)]);
        } else {
            _kinds.push_back(
                {fmt::format("Custom.Metric.{:03}", i), i % 2 == 0 ? "" : "ms", 10000, true});
        }
    }
}

std::span<const loadgen_input> metrics_generator::inputs() const noexcept {
    return metrics_inputs;
}

std::span<const malformation> metrics_generator::malformations(loadgen_input input) const noexcept {
    if (input != loadgen_input::raw_metrics) {
        return {};
    }
    return metric_kinds_list;
}

void metrics_generator::write(uint64_t index, loadgen_input /*input*/, malformation kind,
                              int64_t ts, std::string& key, std::string& value) const {
    uint64_t rng = record_state(options().seed, index);
    const std::string& host = _hosts[draw(rng) % _hosts.size()];
    const metric_kind& m = _kinds[draw(rng) % _kinds.size()];
    const int64_t reading = static_cast<int64_t>(draw(rng) % static_cast<uint64_t>(m.max + 1));
    const bool with_ts = draw(rng) % 8 != 0;
    const bool with_tags = draw(rng) % 4 == 0;

    key.assign(host);
    value.clear();
    const auto write_reading = [&](std::string& out) {
        if (m.tenths) {
            append(out, reading / 10, ".", reading % 10);
        } else {
            append(out, reading);
        }
    };
    if (kind == malformation::not_an_object) {
        append(value, "[\"", m.name, "\",\"", host, "\",");
        write_reading(value);
        value += ']';
        return;
    }

    json_object_writer w(value);
    switch (kind) {
    case malformation::missing_name:
        break;
    case malformation::name_not_string:
        append(w.field("name"), "42");
        break;
    case malformation::empty_name:
        append(w.field("name"), R"("  ")");
        break;
    default:
        append(w.field("name"), "\"", m.name, "\"");
    }
    switch (kind) {
    case malformation::missing_host:
        break;
    case malformation::host_not_string:
        append(w.field("host"), "null");
        break;
    case malformation::empty_host:
        append(w.field("host"), R"("")");
        break;
    default:
        append(w.field("host"), "\"", host, "\"");
    }
    switch (kind) {
    case malformation::missing_value:
        break;
    case malformation::value_not_number:
        w.field("value") += '"';
        write_reading(value);
        value += '"';
        break;
    case malformation::value_not_finite:
        append(w.field("value"), "1e999");
        break;
    default:
        write_reading(w.field("value"));
    }
    if (kind == malformation::unit_not_string) {
        append(w.field("unit"), "1000");
    } else if (!m.unit.empty()) {
        append(w.field("unit"), "\"", m.unit, "\"");
    }
    write_ts(w, kind, ts, with_ts);
    if (kind == malformation::tags_not_object) {
        append(w.field("tags"), R"(["env","prod"])");
    } else if (with_tags) {
        append(w.field("tags"), R"({"env":"prod","region":"region-)", (&host - _hosts.data()) % 4,
               "\"}");
    }
    w.close();
    if (kind == malformation::not_json) {
        cut_in_half(value);
    }
}

// ---- activity_generator -------------------------------------------------------------

activity_generator::activity_generator(const generator_options& options)
    : record_generator(options), _order_ppm(ratio_to_ppm(options.order_ratio, 1.0, "order_ratio")) {
    if (options.users < 1 || options.users > 100'000'000) {
        throw config_error(fmt::format("users must be from 1 to 100000000, got {}", options.users));
    }
}

std::span<const loadgen_input> activity_generator::inputs() const noexcept {
    return activity_inputs;
}

std::span<const malformation>
activity_generator::malformations(loadgen_input input) const noexcept {
    switch (input) {
    case loadgen_input::user_events:
        return user_event_kinds_list;
    case loadgen_input::order_events:
        return order_event_kinds_list;
    default:
        return {};
    }
}

loadgen_input activity_generator::choose_input() {
    _order_acc += _order_ppm;
    if (_order_acc >= one_million) {
        _order_acc -= one_million;
        return loadgen_input::order_events;
    }
    return loadgen_input::user_events;
}

void activity_generator::write(uint64_t index, loadgen_input input, malformation kind, int64_t ts,
                               std::string& key, std::string& value) const {
    uint64_t rng = record_state(options().seed, index);
    const uint64_t user = draw(rng) % static_cast<uint64_t>(options().users);
    const uint64_t detail = draw(rng); // event type and page, or the amount
    const bool with_ts = draw(rng) % 8 != 0;
    const uint64_t seed = options().seed;

    key.clear();
    const fmt::format_int digits(user);
    key.append("user-");
    key.append(digits.size() < 5 ? 5 - digits.size() : 0, '0');
    key.append(digits.data(), digits.size());
    value.clear();
    if (kind == malformation::not_an_object) {
        append(value, R"(["ev-)", seed, "-", index, R"(",")", key, "\",", ts, "]");
        return;
    }

    json_object_writer w(value);
    switch (kind) {
    case malformation::missing_event_id:
        break;
    case malformation::empty_event_id:
        append(w.field("event_id"), R"("")");
        break;
    default:
        append(w.field("event_id"), "\"ev-", seed, "-", index, "\"");
    }
    switch (kind) {
    case malformation::missing_user_id:
        break;
    case malformation::empty_user_id:
        append(w.field("user_id"), R"("")");
        break;
    default:
        append(w.field("user_id"), "\"", key, "\"");
    }
    if (input == loadgen_input::order_events) {
        if (kind != malformation::missing_order_id) {
            append(w.field("order_id"), "\"ord-", seed, "-", index, "\"");
        }
        const uint64_t cents = 100 + detail % 49901; // 1.00 to 500.00
        if (kind == malformation::amount_negative) {
            append(w.field("amount_cents"), "-", cents);
        } else if (kind == malformation::amount_not_integer) {
            append(w.field("amount_cents"), cents, ".5");
        } else {
            append(w.field("amount_cents"), cents);
        }
        write_ts(w, kind, ts, with_ts);
    } else {
        if (kind != malformation::missing_event_type) {
            append(w.field("event_type"), "\"", event_types[detail % event_types.size()], "\"");
        }
        write_ts(w, kind, ts, with_ts);
        append(w.field("page"), "\"/products/", (detail >> 16) % 500, "\"");
    }
    w.close();
    if (kind == malformation::not_json) {
        cut_in_half(value);
    }
}

} // namespace brook::apps
