// A stream-table join against a versioned table, with a grace period, on the real broker:
// 2 instances under exactly_once_v2 (brook-test-versioned-join), one SIGKILLed mid-flow,
// and again right after its restart (during start-up and the rebalance).
//
// The test first writes every product's price history, out of order and with deletes,
// and waits until the app's group has committed all of it. Then it writes orders across
// that history, in time order with jitter (so some wait in the grace buffer, are reordered
// there or outlive a kill in it, and some come too late to wait); each order must be
// joined with the price its product
// had at the order's time (the version with the largest timestamp not after it; null
// before the first or after a delete), however late it is processed, exactly once. A
// tick per partition, later than every order by more than the grace period, lets the
// last buffered orders out. Hostile records come in the middle: orders and prices with
// null keys, an order with a null value; a null-key order is still joined (with no
// price, as a left join keeps null keys: KIP-962), the rest are skipped, and nothing
// stalls. The expected output is computed from the test's own input.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <signal.h>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/kafka/admin_client.h"
#include "engine/kafka/producer.h"
#include "engine/serde/partitioner.h"
#include "tests/support/app_instances.h"
#include "tests/support/assignment_log.h"
#include "tests/support/broker.h"
#include "tests/support/topic_tail.h"

namespace brook {
namespace {

using namespace std::chrono_literals;

constexpr int partitions = 3;
constexpr int products = 30;
constexpr int versions_per_product = 12;
constexpr int orders = 3'000;
constexpr int64_t timeline_ms = 20 * 60 * 1000;
constexpr int64_t grace_ms = 2'000; // as brook-test-versioned-join sets it

class versioned_join_cluster {
public:
    versioned_join_cluster() {
        kafka::admin_client admin(testing::real_client_config());
        admin.create_topics(
            {{_prices, partitions, 1, {}}, {_orders, partitions, 1, {}}, {_out, partitions, 1, {}}},
            30s);
        _producer = std::make_unique<kafka::producer>(testing::real_client_config());
    }
    void start(int n) {
        _instances.start(n, {testing::real_bootstrap(), _app_id, _prices, _orders, _out},
                         {"processing.guarantee=exactly_once_v2"});
    }
    int stop(int n, int signal) { return _instances.stop(n, signal); }
    bool alive(int n) { return _instances.alive(n); }
    std::filesystem::path log_of(int n) const { return _instances.log_of(n); }

    void write_price(const std::string& product, std::optional<std::string> price, int64_t ts) {
        write(_prices, product, price, ts);
        _history[product][ts] = std::move(price); // a second version at ts replaces the first
    }
    void write_order(const std::string& product, const std::string& order, int64_t ts) {
        write(_orders, product, order, ts);
        _orders_written[order] = {product, ts};
    }
    // Records with a null key or value, to `partition`; a null-key order is expected to
    // come out joined with no price, a null-value one not at all.
    void write_null_key_order(const std::string& order, int32_t partition, int64_t ts) {
        _producer->produce(_orders, partition, nullable_bytes{}, nullable_bytes(order), ts);
        _orders_written[order] = {"", ts};
    }
    void write_null_value_order(const std::string& product, int64_t ts) {
        write(_orders, product, std::nullopt, ts);
    }
    void write_null_key_price(int32_t partition, int64_t ts) {
        _producer->produce(_prices, partition, nullable_bytes{}, nullable_bytes("P-null-key"), ts);
    }
    // An order that only moves its partition's stream time; it stays in the buffer.
    void write_tick(const std::string& key, int64_t ts) { write(_orders, key, "tick", ts); }
    void flush() { _producer->flush(60s); }

    // Waits until the app's group has committed every price record; false on timeout.
    bool prices_consumed(std::chrono::seconds patience) {
        return testing::wait_committed_to_end(testing::real_client_config(), _app_id, _prices,
                                              partitions, patience);
    }

    // Each order's joined value as the input makes it.
    std::map<std::string, std::string> expected() const {
        std::map<std::string, std::string> out;
        for (const auto& [order, where] : _orders_written) {
            const auto& [product, ts] = where;
            std::string price = "null";
            auto h = _history.find(product);
            if (h != _history.end()) {
                auto it = h->second.upper_bound(ts);
                if (it != h->second.begin() && std::prev(it)->second) {
                    price = *std::prev(it)->second;
                }
            }
            out[order] = order + "|" + price;
        }
        return out;
    }

    // Every output value per order id, read committed until each order has one or
    // `patience` passes.
    std::map<std::string, std::vector<std::string>> outputs(size_t want,
                                                            std::chrono::seconds patience) {
        testing::topic_tail tail(testing::real_client_config(), _out, partitions);
        std::map<std::string, std::vector<std::string>> seen;
        tail.poll_until([&] { return seen.size() >= want; }, patience,
                        [&](const rd_kafka_message_t& m) {
                            const std::string value(static_cast<const char*>(m.payload), m.len);
                            seen[value.substr(0, value.find('|'))].push_back(value);
                        });
        // Anything still in flight (a duplicate would be) arrives within this last look.
        tail.poll(2s, [&](const rd_kafka_message_t& m) {
            const std::string value(static_cast<const char*>(m.payload), m.len);
            seen[value.substr(0, value.find('|'))].push_back(value);
        });
        return seen;
    }

private:
    void write(const std::string& topic, const std::string& key,
               const std::optional<std::string>& value, int64_t ts) {
        _producer->produce(topic, default_partition(key, partitions), key,
                           value ? nullable_bytes(*value) : nullable_bytes{}, ts);
    }

    std::string _prices = testing::unique_name("vj-prices");
    std::string _orders = testing::unique_name("vj-orders");
    std::string _out = testing::unique_name("vj-out");
    std::string _app_id = testing::unique_name("vj-app");
    std::unique_ptr<kafka::producer> _producer;
    testing::app_instances _instances{"brook-test-versioned-join", "versioned-join"};
    std::map<std::string, std::map<int64_t, std::optional<std::string>>> _history;
    std::map<std::string, std::pair<std::string, int64_t>> _orders_written;
};

TEST(versioned_join_on_broker,
     two_instances_join_each_order_with_the_price_at_its_time_through_kills) {
    versioned_join_cluster c;
    std::mt19937_64 random(20261207);
    // Timestamps half an hour back, so the broker takes them and the history is in reach.
    const int64_t t0 = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count() -
                       30 * 60 * 1000;
    const auto product = [&] { return fmt::format("p{:02d}", random() % products); };

    c.start(0);
    c.start(1);
    // Every product's history, in shuffled order: out-of-order versions and deletes.
    struct price {
        std::string product;
        std::optional<std::string> value;
        int64_t ts;
    };
    std::vector<price> history;
    for (int p = 0; p < products; ++p) {
        for (int v = 0; v < versions_per_product; ++v) {
            const bool remove = random() % 8 == 0;
            history.push_back(
                {fmt::format("p{:02d}", p),
                 remove ? std::nullopt : std::optional<std::string>(fmt::format("P{}-{}", p, v)),
                 t0 + static_cast<int64_t>(random() % timeline_ms)});
        }
    }
    std::shuffle(history.begin(), history.end(), random);
    for (const auto& h : history) {
        c.write_price(h.product, h.value, h.ts);
    }
    c.flush();
    ASSERT_TRUE(c.prices_consumed(120s))
        << "the app did not consume the price history; logs in " << c.log_of(0).parent_path();

    for (int i = 0; i < orders; ++i) {
        // Time moves forward with jitter from 3 s back to 1 s ahead: some orders wait in
        // the buffer (and are reordered there), some are later than the grace period.
        const int64_t jitter = static_cast<int64_t>(random() % 4'000) - 3'000;
        c.write_order(product(), fmt::format("o{:04d}", i),
                      t0 + i * (timeline_ms / orders) + jitter);
        if (i % 500 == 499) {
            c.flush();
            std::this_thread::sleep_for(200ms);
        }
        if (i == orders / 2) {
            const int64_t now = t0 + i * (timeline_ms / orders);
            for (int32_t p = 0; p < partitions; ++p) {
                c.write_null_key_order(fmt::format("o-null-key-{}", p), p, now);
                c.write_null_key_price(p, now);
            }
            c.write_null_value_order(product(), now);
        }
        if (i == orders / 3) {
            EXPECT_EQ(c.stop(1, SIGKILL), -SIGKILL);
            c.start(1); // on the same state directory
        }
        if (i == 2 * orders / 3) {
            EXPECT_EQ(c.stop(1, SIGKILL), -SIGKILL);
            c.start(1);
            std::this_thread::sleep_for(300ms);
            EXPECT_EQ(c.stop(1, SIGKILL), -SIGKILL); // while it starts and rejoins
            c.start(1);
        }
    }
    // One tick per partition, past every order by more than the grace period.
    std::set<int32_t> ticked;
    for (int k = 0; ticked.size() < partitions; ++k) {
        const std::string key = fmt::format("tick-{}", k);
        if (ticked.insert(default_partition(key, partitions)).second) {
            c.write_tick(key, t0 + timeline_ms + 10 * grace_ms);
        }
    }
    c.flush();

    const auto want = c.expected();
    const auto got = c.outputs(want.size(), 180s);
    int wrong = 0;
    for (const auto& [order, value] : want) {
        const auto it = got.find(order);
        const size_t copies = it == got.end() ? 0 : it->second.size();
        if ((copies != 1 || it->second.front() != value) && ++wrong <= 10) {
            ADD_FAILURE() << order << ": the output has " << copies << " record(s)"
                          << (copies > 0 ? ", first " + it->second.front() : std::string())
                          << "; the input makes it " << value;
        }
    }
    EXPECT_EQ(wrong, 0) << "orders not joined exactly once with the price at their time";
    EXPECT_EQ(got.count("tick"), 0U) << "a tick left the buffer early";
    EXPECT_EQ(got.size(), want.size()) << "the output has orders the input does not";
    EXPECT_TRUE(c.alive(0) && c.alive(1)) << "an instance exited by itself";
    EXPECT_EQ(c.stop(0, SIGTERM), 0);
    EXPECT_EQ(c.stop(1, SIGTERM), 0);
}

} // namespace
} // namespace brook
