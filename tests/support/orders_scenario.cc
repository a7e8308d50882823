// The orders scenario shared by the integration and chaos suites: see orders_scenario.h.

#include "tests/support/orders_scenario.h"

#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <signal.h>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/kafka/admin_client.h"
#include "engine/kafka/producer.h"
#include "engine/serde/json_serde.h"
#include "engine/serde/partitioner.h"
#include "tests/support/app_process.h"
#include "tests/support/assignment_log.h"
#include "tests/support/broker.h"
#include "tests/support/topic_tail.h"

namespace brook::testing {
namespace {

using namespace std::chrono_literals;

constexpr int partitions = 4;
constexpr int known_customers = 150;
constexpr int unknown_customers = 10;
constexpr int orders = 3000;
constexpr int64_t minute = 60'000;
constexpr int64_t window_ms = 10 * minute;
constexpr int64_t step_ms = 2'000; // between orders: 100 minutes of event time

struct timed {
    int64_t ts;
    std::string key;
    std::string value;
};

} // namespace

void run_orders_scenario(const orders_scenario& scenario) {
    const std::string orders_topic = unique_name("orders");
    const std::string customers_topic = unique_name("customers");
    const std::string payments_topic = unique_name("payments");
    const std::string enriched_topic = unique_name("enriched");
    const std::string statuses_topic = unique_name("order-payments");
    const std::string alerts_topic = unique_name("order-alerts");
    const std::string app_id = unique_name("orders-app");
    const auto state_root = std::filesystem::temp_directory_path() / unique_name("orders-state");
    {
        kafka::admin_client admin(real_client_config());
        admin.create_topics({{orders_topic, partitions, 1, {}},
                             {customers_topic, partitions, 1, {}},
                             {payments_topic, partitions, 1, {}}},
                            30s);
    }

    const int64_t base = recent_event_time(minute) - orders * step_ms - 60 * minute;
    std::mt19937_64 random(20261206);
    std::map<std::string, std::string> tier_of;         // customer -> tier
    std::set<std::string> expect_enriched, expect_dead; // order ids
    std::map<std::string, int> expect_paid;             // order id -> paid results
    std::set<std::string> expect_unpaid;                // order ids
    std::vector<timed> order_records, payment_records;
    for (int i = 0; i < orders; ++i) {
        const std::string id = fmt::format("ord-{:05d}", i);
        const int c = static_cast<int>(random() % (known_customers + unknown_customers));
        const std::string customer = fmt::format("cust-{:03d}", c);
        const int64_t ts = base + 60 * minute + i * step_ms;
        order_records.push_back(
            {ts, id,
             nlohmann::json{{"order_id", id}, {"customer_id", customer}, {"amount_cents", 100 + i}}
                 .dump()});
        (c < known_customers ? expect_enriched : expect_dead).insert(id);
        // 0: no payment; 1: one inside the window; 2: two inside; 3: one outside only.
        const int kind = static_cast<int>(random() % 4);
        const int paid_in_window = kind == 1 ? 1 : kind == 2 ? 2 : 0;
        for (int p = 0; p < paid_in_window; ++p) {
            const int64_t offset =
                static_cast<int64_t>(random() % (2 * window_ms + 1)) - window_ms; // inclusive
            payment_records.push_back(
                {ts + offset, id,
                 nlohmann::json{{"order_id", id}, {"amount_cents", 100 + i}}.dump()});
        }
        if (kind == 3) {
            payment_records.push_back(
                {ts + window_ms + 1 + static_cast<int64_t>(random() % minute), id,
                 nlohmann::json{{"order_id", id}, {"amount_cents", 1}}.dump()});
        }
        if (paid_in_window > 0) {
            expect_paid[id] = paid_in_window;
        } else {
            expect_unpaid.insert(id);
        }
    }
    // Each input in event-time order, as a real source writes it.
    std::stable_sort(payment_records.begin(), payment_records.end(),
                     [](const timed& a, const timed& b) { return a.ts < b.ts; });
    kafka::producer producer(real_client_config());
    for (int c = 0; c < known_customers; ++c) {
        const std::string id = fmt::format("cust-{:03d}", c);
        tier_of[id] = c % 3 == 0 ? "gold" : "silver";
        producer.produce(customers_topic, default_partition(id, partitions), id,
                         nlohmann::json{{"name", "name of " + id}, {"tier", tier_of[id]}}.dump(),
                         base);
    }
    producer.flush(30s);

    // Both instances run and hold tasks before the orders come, so both do the work.
    std::vector<std::unique_ptr<app_process>> apps(2);
    const auto log_of = [&](int n) { return state_root / fmt::format("instance-{}.log", n); };
    const auto start_instance = [&](int n) {
        std::filesystem::create_directories(state_root);
        apps[n] = std::make_unique<app_process>(
            std::vector<std::string>{bin_path("brook-orders"),
                                     "--bootstrap-servers",
                                     real_bootstrap(),
                                     "--application-id",
                                     app_id,
                                     "--processing-guarantee",
                                     "exactly_once_v2",
                                     "--state-dir",
                                     (state_root / fmt::format("instance-{}", n)).string(),
                                     "--orders-topic",
                                     orders_topic,
                                     "--customers-topic",
                                     customers_topic,
                                     "--payments-topic",
                                     payments_topic,
                                     "--enriched-topic",
                                     enriched_topic,
                                     "--payments-out-topic",
                                     statuses_topic,
                                     "--alerts-topic",
                                     alerts_topic,
                                     "--partitions",
                                     std::to_string(partitions),
                                     "--set",
                                     "commit.interval.ms=200",
                                     "--set",
                                     "consumer.session.timeout.ms=10000"},
            log_of(n).string());
    };
    const auto both_hold_tasks = [&] {
        for (int n = 0; n < 2; ++n) {
            const auto a = assignments_in(log_of(n));
            if (a.empty() || a.back().tasks.empty() || a.back().tasks.size() == 8) {
                return false;
            }
        }
        return true;
    };
    const auto deadline = std::chrono::steady_clock::now() + 240s;
    const auto all_alive = [&] {
        for (auto& app : apps) {
            if (app && !app->alive()) {
                return false;
            }
        }
        return true;
    };
    start_instance(0);
    start_instance(1);
    while (!both_hold_tasks()) {
        ASSERT_TRUE(all_alive()) << "an instance stopped";
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the group did not settle";
        std::this_thread::sleep_for(200ms);
    }

    // The orders and payments, each input in event-time order, as a real source writes.
    for (const auto* records : {&order_records, &payment_records}) {
        const std::string& topic = records == &order_records ? orders_topic : payments_topic;
        for (const timed& r : *records) {
            producer.produce(topic, default_partition(r.key, partitions), r.key, r.value, r.ts);
        }
    }
    producer.flush(30s);

    // Mid-backlog, instances leave and come back: their tasks move away and back.
    const auto consumed = [&](const std::string& topic) {
        int64_t n = 0;
        for (const int64_t o : committed_offsets(real_client_config(), app_id, topic, partitions)) {
            n += std::max<int64_t>(o, 0);
        }
        return n;
    };
    for (int stop = 0; stop < scenario.stops; ++stop) {
        // The n-th stop comes when n/(stops+1) of the orders are committed, to instance
        // 1, 0, 1, ... (a SIGKILL may land anywhere: mid-commit, mid-restore, mid-join).
        const int64_t due = orders * (stop + 1) / (scenario.stops + 1);
        while (consumed(orders_topic) < due) {
            ASSERT_TRUE(all_alive()) << "an instance stopped";
            ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the group did not consume";
            std::this_thread::sleep_for(20ms);
        }
        const int victim = (stop + 1) % 2;
        const int status = apps[victim]->stop(scenario.signal);
        if (scenario.signal == SIGTERM) {
            EXPECT_EQ(status, 0);
        }
        start_instance(victim);
    }

    for (const std::string& topic : {orders_topic, payments_topic}) {
        const auto end = end_offsets(real_client_config(), topic, partitions);
        while (committed_offsets(real_client_config(), app_id, topic, partitions) != end) {
            ASSERT_TRUE(all_alive()) << "an instance stopped";
            ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the group did not consume";
            std::this_thread::sleep_for(500ms);
        }
    }
    // A closer on every partition of both inputs: stream time passes every window + grace.
    {
        kafka::producer& p = producer;
        const int64_t far = base + 60 * minute + orders * step_ms + 60 * minute;
        for (int part = 0; part < partitions; ++part) {
            std::string key;
            for (int k = 0; key.empty() || default_partition(key, partitions) != part; ++k) {
                key = fmt::format("closer-{}", k);
            }
            p.produce(
                orders_topic, part, key,
                nlohmann::json{{"order_id", key}, {"customer_id", "closer"}, {"amount_cents", 0}}
                    .dump(),
                far);
            p.produce(payments_topic, part, key,
                      nlohmann::json{{"order_id", key}, {"amount_cents", 0}}.dump(), far);
        }
        p.flush(30s);
    }

    std::map<std::string, int> enriched, dead, paid, unpaid, alerts;
    int64_t wrong_tier = 0;
    const std::string dead_topic = orders_topic + ".dlq";
    topic_tail out(real_client_config(), {enriched_topic, dead_topic, statuses_topic, alerts_topic},
                   partitions);
    const auto on_output = [&](const rd_kafka_message_t& m) {
        const std::string topic = rd_kafka_topic_name(m.rkt);
        const auto j = nlohmann::json::parse(
            std::string_view(static_cast<const char*>(m.payload), m.len), nullptr, false);
        ASSERT_TRUE(j.is_object()) << "output of " << topic << " is not a JSON object";
        const std::string id = j.value("order_id", "");
        if (id.starts_with("closer")) {
            return;
        }
        if (topic == enriched_topic) {
            ++enriched[id];
            if (j.value("tier", "") != tier_of[j.value("customer_id", "")]) {
                ++wrong_tier;
            }
        } else if (topic == dead_topic) {
            ++dead[id];
        } else if (topic == alerts_topic) {
            ++alerts[id];
        } else if (j.value("status", "") == "paid") {
            ++paid[id];
        } else {
            ++unpaid[id];
        }
    };
    const auto complete = [&] {
        return enriched.size() >= expect_enriched.size() && dead.size() >= expect_dead.size() &&
               paid.size() >= expect_paid.size() && unpaid.size() >= expect_unpaid.size() &&
               alerts.size() >= expect_unpaid.size();
    };
    out.poll_until(complete, 180s, on_output);
    out.poll(3s, on_output);
    for (auto& app : apps) {
        EXPECT_EQ(app->stop(SIGTERM), 0);
    }

    const auto once_each = [](const std::set<std::string>& want) {
        std::map<std::string, int> m;
        for (const auto& id : want) {
            m[id] = 1;
        }
        return m;
    };
    // What differs, briefly: the first few missing, extra and miscounted order ids.
    const auto differences = [](const std::map<std::string, int>& got,
                                const std::map<std::string, int>& want) {
        std::string missing, extra, miscounted;
        int shown = 0;
        for (const auto& [id, n] : want) {
            auto it = got.find(id);
            if (it == got.end() && shown++ < 10) {
                missing += " " + id;
            } else if (it != got.end() && it->second != n && shown++ < 10) {
                miscounted += fmt::format(" {}({} not {})", id, it->second, n);
            }
        }
        for (const auto& [id, n] : got) {
            if (!want.contains(id) && shown++ < 10) {
                extra += " " + id;
            }
        }
        return fmt::format("{} expected, {} seen; missing:{} extra:{} miscounted:{}", want.size(),
                           got.size(), missing, extra, miscounted);
    };
    EXPECT_TRUE(enriched == once_each(expect_enriched))
        << "enriched orders: " << differences(enriched, once_each(expect_enriched));
    EXPECT_EQ(wrong_tier, 0);
    EXPECT_TRUE(dead == once_each(expect_dead))
        << "orders of unknown customers: " << differences(dead, once_each(expect_dead));
    EXPECT_TRUE(paid == expect_paid) << "paid results: " << differences(paid, expect_paid);
    EXPECT_TRUE(unpaid == once_each(expect_unpaid))
        << "unpaid results: " << differences(unpaid, once_each(expect_unpaid));
    EXPECT_TRUE(alerts == once_each(expect_unpaid))
        << "alerts: " << differences(alerts, once_each(expect_unpaid));
    std::filesystem::remove_all(state_root);
}

} // namespace brook::testing
