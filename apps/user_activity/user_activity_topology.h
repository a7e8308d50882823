#pragma once

// The user-activity pipeline: per user, counts events by type and sums orders in tumbling
// windows (and, with sessions on, in session windows), after dropping events already seen.
//
//   user-events  --parse--> valid --+   invalid --> user-events.dlq
//   order-events --parse--> valid --+   invalid --> order-events.dlq
//                                   |
//     merge --> key by user_id --> repartition (by-user) --> dedupe by event_id
//       --> tumbling windows per user --> user-activity
//       --> session windows per user  --> user-activity-sessions   (sessions on)
//
// Input values are JSON objects:
//   user-events   {"event_id", "user_id", "event_type", "ts", ...}   (other fields ignored)
//   order-events  {"event_id", "user_id", "order_id", "amount_cents", "ts"}
// event_id, user_id, event_type and order_id are non-empty strings, amount_cents an integer
// >= 0, ts (optional, else the record timestamp) epoch milliseconds from 1 (0 and negative times
// are refused) to the end of 9999 (json_fields.h). A record that is null, not JSON (bytes after the
// value included), nested deeper than 64 levels (json_fields.h), not an object or breaks one of
// these rules goes unchanged to "<input topic>.dlq" with headers error (the reason, through
// text::safe: valid UTF-8, at most about 512 bytes), source-topic, source-partition and
// source-offset.
//
// Valid events are keyed by user_id and repartitioned, so an input keyed otherwise works
// too and all copies of one event meet in one task. An event whose kind (user or order)
// and event_id were seen at an event time within the dedupe retention of its own is then
// dropped and counted in user_activity_counters.
//
// Outputs, keyed by user_id, times in epoch ms:
//   windows   {"user_id", "window_start", "window_end" (exclusive), "events" (user-events),
//              "by_type" {event_type: count}, "orders", "order_total_cents"}
//   sessions  {"user_id", "session_start", "session_end" (the first and last event's
//              times), "events", "orders", "order_total_cents"}
// Emitting updates, a session that an event merged into a bigger one is not retracted: the
// bigger session, written right after, covers it.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/serde/json_serde.h"
#include "operators/emit_strategy.h"
#include "operators/stream_builder.h"

namespace brook::apps {

// The stores, by name, for interactive queries (all RocksDB, logged, cached):
//   dedupe    window_store<std::string, int64_t>: "user:<event_id>" or "order:<event_id>"
//             -> the event time it was first seen at (also the window start)
//   windows   timestamped_window_store<std::string, activity_totals>: user_id and window
//             start -> totals (with --emit final, only windows not yet closed)
//   sessions  session_store<std::string, activity_totals>: user_id and session -> totals
inline constexpr const char* user_activity_dedupe_store = "user-activity-dedupe";
inline constexpr const char* user_activity_windows_store = "user-activity-windows";
inline constexpr const char* user_activity_sessions_store = "user-activity-sessions-store";

enum class activity_kind { user_event, order };
NLOHMANN_JSON_SERIALIZE_ENUM(activity_kind,
                             {{activity_kind::user_event, "user"}, {activity_kind::order, "order"}})

// One valid input event, either kind; its event time is the record's timestamp. It is JSON
// on the repartition topic.
struct activity {
    activity_kind kind = activity_kind::user_event;
    std::string event_id;
    std::string user_id;
    std::string event_type; // user events only
    std::string order_id;   // orders only
    int64_t amount_cents = 0;
};
// JSON in both directions. Reading checks every integer: nlohmann's own reading of an int64_t
// field casts a number beyond int64 (1e300, 2^64) and that is undefined behaviour (found by
// fuzz/serdes.cc). A field of the wrong type or range throws serde_error.
void to_json(nlohmann::json& j, const activity& a);
void from_json(const nlohmann::json& j, activity& a);

// A parsed input value, or why it could not be parsed, with the input value as it came
// (null stays null) for the DLQ.
struct parsed_activity {
    std::optional<activity> ok;
    int64_t ts = 0; // event time, when ok
    std::string error;
    std::optional<std::string> raw;
};

// Parses and validates one input value of `kind`; `record_ts` is used when "ts" is absent.
// Leaves `raw` empty: the caller owns the input.
parsed_activity parse_activity(activity_kind kind, std::string_view raw, int64_t record_ts);

// The aggregate of a window or session; JSON in the stores and their changelogs.
struct activity_totals {
    int64_t events = 0;
    std::map<std::string, int64_t> by_type;
    int64_t orders = 0;
    int64_t order_total_cents = 0; // saturates at INT64_MAX rather than overflow
};
// As for activity: reading checks that every count is an integer that fits int64_t.
void to_json(nlohmann::json& j, const activity_totals& t);
void from_json(const nlohmann::json& j, activity_totals& t);

// The aggregations' adder and (sessions) merger, in the shapes aggregate() takes.
activity_totals add_activity(const std::string& user_id, const activity& a, activity_totals totals);
activity_totals merge_totals(const std::string& user_id, activity_totals a,
                             const activity_totals& b);

// What the topology counts beyond the engine's task counters. Shared by every task of every
// stream thread through shared_ptr (relaxed atomics: totals, not synchronisation).
struct user_activity_counters {
    std::atomic<uint64_t> duplicates_dropped{0};
};

// How the pipeline is wired; the defaults are those of brook-user-activity's flags.
struct user_activity_options {
    std::string user_events_topic = "user-events";
    std::string order_events_topic = "order-events";
    std::string output_topic = "user-activity";
    std::string sessions_topic = "user-activity-sessions";
    std::chrono::milliseconds window{std::chrono::minutes(1)};
    std::chrono::milliseconds grace{std::chrono::seconds(10)}; // windows and sessions
    // on_window_close: one result per window once it closed; on_window_update: a result per
    // change, through the store cache (at most one per window per commit).
    emit_strategy emit = emit_strategy::on_window_close();
    bool sessions = false;
    std::chrono::milliseconds session_gap{std::chrono::minutes(5)};
    std::chrono::milliseconds dedupe_retention{std::chrono::hours(1)};
    std::shared_ptr<user_activity_counters> counters = std::make_shared<user_activity_counters>();
};

// Where the invalid records of topic `input` go.
inline std::string dead_letter_topic(const std::string& input) {
    return input + ".dlq";
}

// Adds the pipeline to `builder`. Throws std::invalid_argument for a window, gap or
// retention that is not positive or a negative grace.
void build_user_activity_topology(stream_builder& builder, const user_activity_options& options);

} // namespace brook::apps
