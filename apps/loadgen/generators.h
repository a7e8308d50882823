#pragma once

// Deterministic input generators for Brook's example apps, used by brook-loadgen, the
// integration tests and the benchmarks.
//
// A generator yields an endless sequence of Kafka records for one app's input topics.
// The sequence is a pure function of the options: the same options (seed included) give
// a byte-identical sequence on every run and machine (the random numbers come from
// splitmix64, which, unlike the standard distributions, is the same everywhere).
//
// Exact rules, so tests can predict counts and windows:
//
//   - Ratios are rounded to millionths (ppm = round(ratio * 1e6)); "floor(n * ratio)"
//     below means floor(n * ppm / 1e6), computed exactly.
//   - Inputs (user-activity): of the first n records, exactly floor(n * order_ratio) go
//     to order-events, the rest to user-events. Metrics has the one input raw-metrics.
//   - Malformed: of the first n records of each input, exactly floor(n * malformed_ratio)
//     are malformed, spread evenly (for metrics: of the first n records). They cycle
//     through the malformation kinds of their input in the order of malformations(input),
//     so with enough of them every dead-letter reason appears. Deciding this per input
//     keeps the even spreads of two schedules from lining up (1% malformed and 20% orders
//     would otherwise make every malformed record an order).
//   - Duplicates: of the first v well-formed records of each input, exactly
//     floor(v * duplicate_ratio) are duplicates: byte-identical copies (key, value and
//     timestamp) of one of the last 64 original well-formed records of that input, as a
//     producer retry would write. Malformed records are never duplicated.
//   - Event time: record number i (from 0, counting every record) that is not a
//     duplicate has ts = start_ts + i * ts_step, in its JSON "ts" and as its Kafka
//     timestamp. A duplicate keeps the ts of its original.
//   - Keys: the host (metrics) or the user id (user-activity), also for malformed records.
//
// Lifecycle: a generator holds only its options and a few counters; next() reuses the
// key and value buffers of one record, so steady-state generation allocates nothing.
// Threading: a generator is for one thread; two generators share nothing.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace brook::apps {

// The input topic a generated record is for; the program maps each to a topic name.
enum class loadgen_input : uint8_t { raw_metrics, user_events, order_events };

// How a malformed record is broken. Each kind makes the app's parser reject the record
// for one reason (one dead-letter reason) and no other.
enum class malformation : uint8_t {
    none,
    // Both apps.
    not_json,       // a JSON object cut off halfway
    not_an_object,  // a JSON array
    ts_negative,    // "ts": -1000
    ts_not_integer, // "ts": 1700000000000.5
    // raw-metrics.
    missing_name,
    missing_host,
    missing_value,
    name_not_string,  // "name": 42
    host_not_string,  // "host": null
    empty_name,       // "name": "  " (blank)
    empty_host,       // "host": ""
    value_not_number, // "value": "12.5"
    value_not_finite, // "value": 1e999, which overflows a double
    unit_not_string,  // "unit": 1000
    tags_not_object,  // "tags": ["env", "prod"]
    // user-events and order-events.
    missing_event_id,
    empty_event_id,
    missing_user_id,
    empty_user_id,
    missing_event_type, // user-events only
    missing_order_id,   // order-events only
    amount_negative,    // order-events only: "amount_cents": -500
    amount_not_integer, // order-events only: "amount_cents": 12.5
};

// The kind's name as written above, e.g. "value_not_finite"; "none" for none.
std::string_view to_string(malformation kind) noexcept;
// The input's default topic name: "raw-metrics", "user-events" or "order-events".
std::string_view default_topic(loadgen_input input) noexcept;

// One generated record. Owned by its generator and overwritten by the next call to next().
struct generated_record {
    loadgen_input input = loadgen_input::raw_metrics;
    std::string key;
    std::string value;
    int64_t timestamp = 0; // epoch ms, also the "ts" field where the value has one
    malformation kind = malformation::none;
    bool duplicate = false;

    bool malformed() const noexcept { return kind != malformation::none; }
};

// Everything a generator can be asked for; each generator reads the fields it needs.
struct generator_options {
    uint64_t seed = 1;
    double malformed_ratio = 0;           // 0..1
    double duplicate_ratio = 0;           // 0..1 (exclusive)
    int64_t start_ts = 1'700'000'000'000; // ts of record 0, epoch ms, >= 1
    int64_t ts_step = 1;                  // ms between consecutive records, >= 0
    // metrics
    int hosts = 8; // distinct hosts: host-000, host-001, ...
    int names = 6; // distinct metric names; the first 6 carry the units the app converts
    // user-activity
    int users = 1000;         // distinct users: user-00000, ...
    double order_ratio = 0.2; // share of records that are orders, 0..1
};

// The part every generator shares: the schedule of malformed records, duplicates and
// event times. Subclasses say which inputs exist and how a record of each is written.
class record_generator {
public:
    virtual ~record_generator() = default;
    record_generator(const record_generator&) = delete;
    record_generator& operator=(const record_generator&) = delete;

    // The next record. The reference stays valid, and the record unchanged, until the
    // next call (its buffers are reused). Never fails.
    const generated_record& next();

    // Counts over the records returned so far.
    uint64_t generated() const noexcept { return _generated; }
    uint64_t malformed() const noexcept { return _malformed; }
    uint64_t duplicates() const noexcept { return _duplicates; }

    // The inputs this generator writes to.
    virtual std::span<const loadgen_input> inputs() const noexcept = 0;
    // The malformation kinds records of `input` cycle through, in order (empty for an
    // input this generator does not write to).
    virtual std::span<const malformation> malformations(loadgen_input input) const noexcept = 0;

protected:
    // Throws config_error naming the option when one is out of range.
    explicit record_generator(const generator_options& options);

    // The input of the next record; called once per record, before anything else.
    virtual loadgen_input choose_input() = 0;
    // Writes the key and value of record number `index` for `input`, broken as `kind`.
    // Must depend only on the options and the arguments: duplicates are written by
    // calling it again with an original's index.
    virtual void write(uint64_t index, loadgen_input input, malformation kind, int64_t ts,
                       std::string& key, std::string& value) const = 0;

    const generator_options& options() const noexcept { return _options; }

private:
    // The schedule of one input.
    struct input_schedule {
        uint32_t malformed_acc = 0; // Bresenham accumulators, in millionths
        uint32_t duplicate_acc = 0;
        uint64_t kind_cursor = 0;          // the next malformation to use
        std::array<uint64_t, 64> recent{}; // ring: indexes of the last originals
        uint64_t recent_count = 0;
    };

    generator_options _options;
    uint32_t _malformed_ppm;
    uint32_t _duplicate_ppm;
    std::array<input_schedule, 3> _schedules{}; // by loadgen_input
    uint64_t _schedule_rng;                     // picks which original a duplicate copies
    uint64_t _generated = 0;
    uint64_t _malformed = 0;
    uint64_t _duplicates = 0;
    generated_record _record;
};

// raw-metrics for brook-metrics: {"name", "host", "value", "ts" (left out in about one
// record in 8, so the record timestamp is used), "unit" (left out for some names),
// "tags" (in about one record in 4)}. Names include odd case and spaces (" CPU.Usage ")
// and units "percent", "%", "ms", "s", "bytes", none.
class metrics_generator final : public record_generator {
public:
    // Throws config_error for an option out of range (hosts or names below 1).
    explicit metrics_generator(const generator_options& options);

    std::span<const loadgen_input> inputs() const noexcept override;
    std::span<const malformation> malformations(loadgen_input input) const noexcept override;

private:
    loadgen_input choose_input() override { return loadgen_input::raw_metrics; }
    void write(uint64_t index, loadgen_input input, malformation kind, int64_t ts, std::string& key,
               std::string& value) const override;

    struct metric_kind {
        std::string name;
        std::string unit; // empty: no "unit" field
        int64_t max;      // readings are 0..max, in tenths when `tenths`
        bool tenths;
    };
    std::vector<std::string> _hosts;
    std::vector<metric_kind> _kinds;
};

// user-events and order-events for brook-user-activity, both keyed by user_id:
//   user-events:  {"event_id", "user_id", "event_type", "ts", "page"}
//   order-events: {"event_id", "user_id", "order_id", "amount_cents", "ts"}
// with "ts" left out in about one record in 8, so the record timestamp is used.
// event_id is "ev-<seed>-<record number>" and order_id "ord-<seed>-<record number>",
// unique within a run; a run repeated with the same seed writes the same ids again.
class activity_generator final : public record_generator {
public:
    // Throws config_error for an option out of range (users below 1, order_ratio).
    explicit activity_generator(const generator_options& options);

    std::span<const loadgen_input> inputs() const noexcept override;
    std::span<const malformation> malformations(loadgen_input input) const noexcept override;

private:
    loadgen_input choose_input() override;
    void write(uint64_t index, loadgen_input input, malformation kind, int64_t ts, std::string& key,
               std::string& value) const override;

    uint32_t _order_ppm;
    uint32_t _order_acc = 0;
};

// Ratio to millionths as the generators use it; throws config_error naming `what` when
// `ratio` is outside [0, max] or is positive but rounds to 0.
uint32_t ratio_to_ppm(double ratio, double max, std::string_view what);

} // namespace brook::apps
