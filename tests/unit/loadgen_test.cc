// brook-loadgen's generators: deterministic, exact in their ratios and event times, and
// honest in their flags: the records flagged malformed are exactly the ones the app's own
// parser rejects, each for the reason its malformation names.

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "apps/loadgen/generators.h"
#include "apps/metrics/metrics_topology.h"
#include "apps/user_activity/user_activity_topology.h"
#include "engine/errors.h"
#include "engine/serde/json_serde.h"

namespace brook::apps {
namespace {

// A generated record copied out of the generator's reused buffers.
struct owned_record {
    loadgen_input input;
    std::string key;
    std::string value;
    int64_t timestamp;
    malformation kind;
    bool duplicate;

    bool operator==(const owned_record&) const = default;
};

std::vector<owned_record> take(record_generator& g, size_t n) {
    std::vector<owned_record> out;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        const generated_record& r = g.next();
        out.push_back({r.input, r.key, r.value, r.timestamp, r.kind, r.duplicate});
    }
    return out;
}

generator_options busy_options(uint64_t seed) {
    generator_options o;
    o.seed = seed;
    o.malformed_ratio = 0.05;
    o.duplicate_ratio = 0.03;
    o.start_ts = 1'700'000'000'000;
    o.ts_step = 10;
    return o;
}

uint64_t expected_count(uint64_t n, double ratio) {
    const auto ppm = static_cast<uint64_t>(std::llround(ratio * 1e6));
    return n * ppm / 1'000'000;
}

// The reason parse_metric gives for each malformation (a substring of its error).
const std::map<malformation, std::string>& metric_reasons() {
    static const std::map<malformation, std::string> reasons{
        {malformation::not_json, "not valid JSON"},
        {malformation::value_not_finite, "not valid JSON"}, // the overflow fails parsing
        {malformation::not_an_object, "not a JSON object"},
        {malformation::missing_name, "missing field 'name'"},
        {malformation::missing_host, "missing field 'host'"},
        {malformation::missing_value, "missing field 'value'"},
        {malformation::name_not_string, "must be strings"},
        {malformation::host_not_string, "must be strings"},
        {malformation::empty_name, "must not be empty"},
        {malformation::empty_host, "must not be empty"},
        {malformation::value_not_number, "'value' must be a number"},
        {malformation::ts_negative, "'ts' must be epoch milliseconds"},
        {malformation::ts_not_integer, "'ts' must be epoch milliseconds"},
        {malformation::unit_not_string, "'unit' must be a string"},
        {malformation::tags_not_object, "'tags' must be an object"},
    };
    return reasons;
}

TEST(loadgen, the_same_seed_gives_byte_identical_records) {
    metrics_generator a(busy_options(7));
    metrics_generator b(busy_options(7));
    EXPECT_EQ(take(a, 20000), take(b, 20000));
    activity_generator c(busy_options(7));
    activity_generator d(busy_options(7));
    EXPECT_EQ(take(c, 20000), take(d, 20000));
}

TEST(loadgen, a_different_seed_gives_different_records_but_the_same_schedule) {
    metrics_generator a(busy_options(7));
    metrics_generator b(busy_options(8));
    const auto ra = take(a, 5000);
    const auto rb = take(b, 5000);
    size_t differing = 0;
    for (size_t i = 0; i < ra.size(); ++i) {
        differing += ra[i].value != rb[i].value ? 1 : 0;
        // Which records are malformed and their event times follow the rules, not the seed.
        EXPECT_EQ(ra[i].kind, rb[i].kind) << "record " << i;
        EXPECT_EQ(ra[i].duplicate, rb[i].duplicate) << "record " << i;
    }
    EXPECT_GT(differing, ra.size() * 9 / 10);

    activity_generator c(busy_options(7));
    activity_generator d(busy_options(8));
    EXPECT_NE(take(c, 1000), take(d, 1000));
}

TEST(loadgen, exactly_floor_n_times_the_ratio_of_the_first_n_records_are_malformed) {
    for (double ratio : {0.0, 0.000001, 0.01, 0.07, 0.29, 0.333333, 0.5, 0.99, 1.0}) {
        generator_options o;
        o.malformed_ratio = ratio;
        metrics_generator g(o);
        uint64_t malformed = 0;
        for (uint64_t n = 1; n <= 20000; ++n) {
            malformed += g.next().malformed() ? 1 : 0;
            ASSERT_EQ(malformed, expected_count(n, ratio)) << "ratio " << ratio << ", n " << n;
        }
        EXPECT_EQ(g.malformed(), malformed);
        EXPECT_EQ(g.generated(), 20000U);
    }
}

TEST(loadgen, user_activity_malformed_records_are_an_exact_share_of_each_topic) {
    for (double order_ratio : {0.0, 0.2, 0.5, 1.0}) {
        generator_options o;
        o.malformed_ratio = 0.01;
        o.duplicate_ratio = 0.1;
        o.order_ratio = order_ratio;
        activity_generator g(o);
        std::map<loadgen_input, uint64_t> records;
        std::map<loadgen_input, uint64_t> malformed;
        for (int i = 0; i < 50000; ++i) {
            const generated_record& r = g.next();
            ++records[r.input];
            malformed[r.input] += r.malformed() ? 1 : 0;
            ASSERT_EQ(malformed[r.input], expected_count(records[r.input], 0.01))
                << "order ratio " << order_ratio << ", record " << i;
        }
        EXPECT_EQ(records[loadgen_input::order_events], expected_count(50000, order_ratio));
    }
}

TEST(loadgen, one_percent_of_a_million_metrics_is_exactly_ten_thousand) {
    generator_options o;
    o.malformed_ratio = 0.01;
    metrics_generator g(o);
    for (int i = 0; i < 1'000'000; ++i) {
        (void)g.next();
    }
    EXPECT_EQ(g.malformed(), 10'000U);
}

TEST(loadgen, duplicates_are_an_exact_share_of_well_formed_records_and_copy_a_recent_one) {
    for (double ratio : {0.01, 0.1, 0.5, 0.9}) {
        generator_options o = busy_options(3);
        o.duplicate_ratio = ratio;
        for (int app = 0; app < 2; ++app) {
            std::unique_ptr<record_generator> g;
            if (app == 0) {
                g = std::make_unique<metrics_generator>(o);
            } else {
                g = std::make_unique<activity_generator>(o);
            }
            const auto records = take(*g, 20000);
            std::map<loadgen_input, uint64_t> well_formed; // the rule holds per input
            std::map<loadgen_input, uint64_t> duplicates;
            std::set<std::string> originals; // input, timestamp and value: unique for originals
            for (size_t i = 0; i < records.size(); ++i) {
                const owned_record& r = records[i];
                if (r.kind != malformation::none) {
                    EXPECT_FALSE(r.duplicate);
                    continue;
                }
                ++well_formed[r.input];
                const std::string identity = std::string(default_topic(r.input)) + " " +
                                             std::to_string(r.timestamp) + " " + r.value;
                if (r.duplicate) {
                    ++duplicates[r.input];
                    EXPECT_TRUE(originals.contains(identity))
                        << "a duplicate copies an earlier well-formed record: " << r.value;
                } else {
                    EXPECT_TRUE(originals.insert(identity).second)
                        << "a record that is not flagged duplicate is new: " << r.value;
                }
                ASSERT_EQ(duplicates[r.input], expected_count(well_formed[r.input], ratio))
                    << "ratio " << ratio << ", record " << i;
            }
            uint64_t total = 0;
            for (const auto& [input, n] : duplicates) {
                total += n;
            }
            EXPECT_EQ(g->duplicates(), total);
        }
    }
}

TEST(loadgen, event_time_is_start_plus_index_times_step_in_the_json_and_the_record) {
    generator_options o = busy_options(11);
    metrics_generator g(o);
    const auto records = take(g, 10000);
    int with_ts = 0;
    int without_ts = 0;
    for (size_t i = 0; i < records.size(); ++i) {
        const owned_record& r = records[i];
        if (r.duplicate) {
            EXPECT_LT(r.timestamp, o.start_ts + static_cast<int64_t>(i) * o.ts_step);
            continue;
        }
        EXPECT_EQ(r.timestamp, o.start_ts + static_cast<int64_t>(i) * o.ts_step);
        if (r.kind != malformation::none) {
            continue;
        }
        const auto doc = nlohmann::json::parse(r.value);
        if (doc.contains("ts")) {
            ++with_ts;
            EXPECT_EQ(doc["ts"].get<int64_t>(), r.timestamp);
        } else {
            ++without_ts; // the app then takes the record timestamp, the same value
        }
    }
    EXPECT_GT(with_ts, 0);
    EXPECT_GT(without_ts, 0);
}

TEST(loadgen, malformed_records_cycle_through_every_kind_of_their_input) {
    generator_options o;
    o.malformed_ratio = 0.1;
    metrics_generator m(o);
    std::vector<malformation> seen;
    for (int i = 0; i < 10000; ++i) {
        const generated_record& r = m.next();
        if (r.malformed()) {
            seen.push_back(r.kind);
        }
    }
    const auto kinds = m.malformations(loadgen_input::raw_metrics);
    ASSERT_EQ(kinds.size(), metric_reasons().size()) << "each kind has its expected reason";
    ASSERT_EQ(seen.size(), 1000U);
    for (size_t i = 0; i < seen.size(); ++i) {
        ASSERT_EQ(seen[i], kinds[i % kinds.size()]) << "malformed record " << i;
    }

    activity_generator a(o);
    std::map<loadgen_input, std::set<malformation>> per_input;
    for (int i = 0; i < 10000; ++i) {
        const generated_record& r = a.next();
        if (r.malformed()) {
            per_input[r.input].insert(r.kind);
        }
    }
    for (loadgen_input input : a.inputs()) {
        const auto expected = a.malformations(input);
        EXPECT_EQ(per_input[input], std::set<malformation>(expected.begin(), expected.end()))
            << default_topic(input);
    }
}

TEST(loadgen, every_malformation_has_a_name) {
    std::set<std::string_view> names;
    const metrics_generator metrics{generator_options{}};
    const activity_generator activity{generator_options{}};
    for (const record_generator* g : {static_cast<const record_generator*>(&metrics),
                                      static_cast<const record_generator*>(&activity)}) {
        for (loadgen_input input : g->inputs()) {
            for (malformation kind : g->malformations(input)) {
                EXPECT_NE(to_string(kind), "unknown");
                EXPECT_NE(to_string(kind), "none");
                names.insert(to_string(kind));
            }
        }
    }
    EXPECT_EQ(names.size(), 23U) << "every kind of the enum is used by some input";
}

TEST(loadgen, parse_metric_rejects_exactly_the_records_flagged_malformed_for_their_reason) {
    generator_options o = busy_options(42);
    o.malformed_ratio = 0.01;
    o.hosts = 20;
    o.names = 9;
    metrics_generator g(o);
    std::map<malformation, int> rejected;
    std::set<std::string> units;
    std::set<std::string> names;
    int accepted = 0;
    for (int i = 0; i < 200'000; ++i) {
        const generated_record& r = g.next();
        const parsed_metric p = parse_metric(r.value, r.timestamp);
        if (r.malformed()) {
            ASSERT_FALSE(p.ok.has_value()) << to_string(r.kind) << " was accepted: " << r.value;
            EXPECT_NE(p.error.find(metric_reasons().at(r.kind)), std::string::npos)
                << to_string(r.kind) << " rejected for another reason: " << p.error << " in "
                << r.value;
            ++rejected[r.kind];
        } else {
            ASSERT_TRUE(p.ok.has_value()) << p.error << " in " << r.value;
            EXPECT_EQ(p.ok->host, r.key);
            EXPECT_EQ(p.ok->ts, r.timestamp);
            EXPECT_TRUE(std::isfinite(p.ok->value));
            units.insert(p.ok->unit.value_or(""));
            names.insert(p.ok->name);
            ++accepted;
        }
    }
    EXPECT_EQ(rejected.size(), metric_reasons().size()) << "every dead-letter reason appears";
    EXPECT_EQ(accepted + static_cast<int>(g.malformed()), 200'000);
    EXPECT_EQ(units, (std::set<std::string>{"", "%", "bytes", "ms", "percent", "s"}));
    EXPECT_TRUE(names.contains(" CPU.Usage ")) << "names the app must normalise appear";
    EXPECT_EQ(names.size(), 9U);
}

TEST(loadgen, user_activity_records_have_the_documented_fields_and_keys) {
    generator_options o = busy_options(5);
    o.users = 50;
    o.order_ratio = 0.25;
    activity_generator g(o);
    uint64_t orders = 0;
    std::set<std::string> event_ids;
    for (uint64_t i = 0; i < 20000; ++i) {
        const generated_record& r = g.next();
        orders += r.input == loadgen_input::order_events ? 1 : 0;
        ASSERT_EQ(orders, expected_count(i + 1, 0.25)) << "record " << i;
        EXPECT_TRUE(r.key.starts_with("user-")) << r.key;
        if (r.malformed()) {
            continue;
        }
        const auto doc = nlohmann::json::parse(r.value);
        EXPECT_EQ(doc["user_id"], r.key);
        EXPECT_EQ(doc.value("ts", r.timestamp), r.timestamp);
        const auto event_id = doc["event_id"].get<std::string>();
        EXPECT_FALSE(event_id.empty());
        EXPECT_EQ(event_ids.insert(event_id).second, !r.duplicate)
            << "event ids repeat exactly for duplicates: " << event_id;
        if (r.input == loadgen_input::order_events) {
            EXPECT_FALSE(doc["order_id"].get<std::string>().empty());
            EXPECT_TRUE(doc["amount_cents"].is_number_unsigned()) << r.value;
        } else {
            EXPECT_FALSE(doc["event_type"].get<std::string>().empty());
        }
    }
    EXPECT_LE(event_ids.size(), 20000U);
    std::set<std::string> users;
    for (int i = 0; i < 2000; ++i) {
        users.insert(g.next().key);
    }
    EXPECT_EQ(users.size(), 50U);
}

// What a parser of user-activity input must reject, checked with plain JSON reading so
// that the generator's flags are right whatever the app's parser turns out to be.
std::string activity_violation(const nlohmann::json& doc, loadgen_input input) {
    if (!doc.is_object()) {
        return "not an object";
    }
    const auto nonempty_string = [&](const char* f) {
        return doc.contains(f) && doc[f].is_string() && !doc[f].get<std::string>().empty();
    };
    if (!nonempty_string("event_id") || !nonempty_string("user_id")) {
        return "event_id or user_id";
    }
    if (doc.contains("ts") && (!doc["ts"].is_number_integer() || doc["ts"].get<int64_t>() < 0)) {
        return "ts";
    }
    if (input == loadgen_input::user_events) {
        return doc.contains("event_type") ? "" : "event_type";
    }
    if (!nonempty_string("order_id")) {
        return "order_id";
    }
    if (!doc.contains("amount_cents") || !doc["amount_cents"].is_number_integer() ||
        doc["amount_cents"].get<int64_t>() < 0) {
        return "amount_cents";
    }
    return "";
}

TEST(loadgen, user_activity_records_flagged_malformed_are_exactly_the_invalid_ones) {
    generator_options o = busy_options(9);
    o.malformed_ratio = 0.02;
    activity_generator g(o);
    for (int i = 0; i < 50000; ++i) {
        const generated_record& r = g.next();
        const auto doc = nlohmann::json::parse(r.value, nullptr, false);
        const std::string violation =
            doc.is_discarded() ? "not JSON" : activity_violation(doc, r.input);
        EXPECT_EQ(violation.empty(), !r.malformed())
            << to_string(r.kind) << ": " << violation << " in " << r.value;
    }
}

// The reason parse_activity gives for each malformation (a substring of its error).
const std::map<malformation, std::string>& activity_reasons() {
    static const std::map<malformation, std::string> reasons{
        {malformation::not_json, "not valid JSON"},
        {malformation::not_an_object, "not a JSON object"},
        {malformation::missing_event_id, "missing field 'event_id'"},
        {malformation::empty_event_id, "'event_id' must be a non-empty string"},
        {malformation::missing_user_id, "missing field 'user_id'"},
        {malformation::empty_user_id, "'user_id' must be a non-empty string"},
        {malformation::missing_event_type, "missing field 'event_type'"},
        {malformation::missing_order_id, "missing field 'order_id'"},
        {malformation::amount_negative, "'amount_cents' must be an integer >= 0"},
        {malformation::amount_not_integer, "'amount_cents' must be an integer >= 0"},
        {malformation::ts_negative, "'ts' must be epoch milliseconds"},
        {malformation::ts_not_integer, "'ts' must be epoch milliseconds"},
    };
    return reasons;
}

TEST(loadgen, parse_activity_rejects_exactly_the_records_flagged_malformed_for_their_reason) {
    generator_options o = busy_options(21);
    o.malformed_ratio = 0.02;
    activity_generator g(o);
    std::map<loadgen_input, std::set<malformation>> rejected;
    std::map<loadgen_input, int> accepted;
    for (int i = 0; i < 100'000; ++i) {
        const generated_record& r = g.next();
        const activity_kind kind = r.input == loadgen_input::order_events
                                       ? activity_kind::order
                                       : activity_kind::user_event;
        const parsed_activity p = parse_activity(kind, r.value, r.timestamp);
        if (r.malformed()) {
            ASSERT_FALSE(p.ok.has_value()) << to_string(r.kind) << " was accepted: " << r.value;
            EXPECT_NE(p.error.find(activity_reasons().at(r.kind)), std::string::npos)
                << to_string(r.kind) << " rejected for another reason: " << p.error << " in "
                << r.value;
            rejected[r.input].insert(r.kind);
        } else {
            ASSERT_TRUE(p.ok.has_value()) << p.error << " in " << r.value;
            EXPECT_EQ(p.ok->user_id, r.key);
            EXPECT_EQ(p.ts, r.timestamp);
            ++accepted[r.input];
        }
    }
    for (loadgen_input input : g.inputs()) {
        const auto kinds = g.malformations(input);
        EXPECT_EQ(rejected[input], std::set<malformation>(kinds.begin(), kinds.end()))
            << "every dead-letter reason of " << default_topic(input) << " appears";
        EXPECT_GT(accepted[input], 0);
    }
}

TEST(loadgen, out_of_range_options_are_rejected_with_the_option_named) {
    const auto rejects = [](generator_options o, const std::string& name, bool metrics) {
        try {
            if (metrics) {
                metrics_generator g(o);
            } else {
                activity_generator g(o);
            }
            ADD_FAILURE() << name << " was accepted";
        } catch (const config_error& e) {
            EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
        }
    };
    generator_options o;
    o.malformed_ratio = 1.5;
    rejects(o, "malformed_ratio", true);
    o = {};
    o.malformed_ratio = 1e-9;
    rejects(o, "malformed_ratio", true);
    o = {};
    o.duplicate_ratio = 1.0;
    rejects(o, "duplicate_ratio", true);
    o = {};
    o.start_ts = 0;
    rejects(o, "start_ts", true);
    o = {};
    o.ts_step = -1;
    rejects(o, "ts_step", false);
    o = {};
    o.hosts = 0;
    rejects(o, "hosts", true);
    o = {};
    o.names = 0;
    rejects(o, "names", true);
    o = {};
    o.users = 0;
    rejects(o, "users", false);
    o = {};
    o.order_ratio = std::nan("");
    rejects(o, "order_ratio", false);
}

} // namespace
} // namespace brook::apps
