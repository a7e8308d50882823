// brook-state: look at or rebuild a Brook application's local state.
//
//   brook-state restore --application-id APP --store NAME --bootstrap-servers HOST:PORT
//                       [--kind key-value|window|session] [--partition all|0,2,...]
//   brook-state list    --application-id APP [--kind ...]
//   brook-state dump    --application-id APP --store NAME [--task 0_1] [--limit N]
//
// restore replays the store's changelog, "<APP>-<NAME>-changelog", into
// <state-dir>/<APP>/<subtopology>_<partition>/<NAME>, with the same restore as the
// runtime (checkpoint first, only the tail after it), so an application started on that
// state directory picks the stores up without restoring them again. list shows each
// task directory's stores with their checkpoints; dump prints a store's entries.
// Every failure is a message on stderr and exit status 1; bad flags exit with 2.

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/common/app_cli.h"
#include "apps/common/restore_progress.h"
#include "engine/errors.h"
#include "engine/kafka/admin_client.h"
#include "engine/kafka/embedded_cluster.h"
#include "engine/runtime/changelog_reader.h"
#include "engine/runtime/kafka_clients.h"
#include "engine/runtime/stream_task.h"
#include "state/key_encoding.h"
#include "state/rocksdb_key_value_store.h"
#include "state/rocksdb_session_store.h"
#include "state/rocksdb_window_store.h"

namespace {

using namespace std::chrono_literals;
using brook::apps::app_cli;

enum class store_kind { key_value, window, session };

store_kind parse_kind(const std::string& word) {
    if (word == "key-value") {
        return store_kind::key_value;
    }
    if (word == "window") {
        return store_kind::window;
    }
    if (word == "session") {
        return store_kind::session;
    }
    throw brook::config_error(
        fmt::format("--kind must be key-value, window or session, not '{}'", word));
}

std::unique_ptr<brook::state::state_store> make_store(store_kind kind, const std::string& name,
                                                      int64_t retention_ms) {
    switch (kind) {
    case store_kind::key_value:
        return std::make_unique<brook::state::rocksdb_key_value_store>(name);
    case store_kind::window:
        return std::make_unique<brook::state::rocksdb_window_store>(name, retention_ms);
    case store_kind::session:
        return std::make_unique<brook::state::rocksdb_session_store>(name, retention_ms);
    }
    return nullptr;
}

// Keys and values are bytes: printable ASCII as is, the rest escaped.
std::string printable(std::string_view bytes) {
    std::string out;
    for (unsigned char c : bytes) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("\\x{:02x}", c);
        }
    }
    return out;
}

std::vector<int32_t> parse_partitions(const std::string& spec, int32_t count) {
    std::vector<int32_t> out;
    if (spec == "all") {
        for (int32_t p = 0; p < count; ++p) {
            out.push_back(p);
        }
        return out;
    }
    size_t at = 0;
    while (at <= spec.size()) {
        const size_t comma = std::min(spec.find(',', at), spec.size());
        const std::string_view part(spec.data() + at, comma - at);
        int32_t p = -1;
        const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), p);
        if (ec != std::errc() || end != part.data() + part.size() || p < 0 || p >= count) {
            throw brook::config_error(fmt::format(
                "--partition: '{}' is not a partition of the changelog (0..{}); give 'all' or "
                "a comma-separated list",
                part, count - 1));
        }
        out.push_back(p);
        at = comma + 1;
    }
    return out;
}

int restore(const app_cli& cli, store_kind kind, int64_t retention_ms) {
    const std::string store = cli.get("store");
    if (store.empty()) {
        throw brook::config_error("restore needs --store NAME");
    }
    const brook::streams_config config = cli.make_config({});
    const std::string app = config.application_id();
    const std::string topic = brook::stream_task::changelog_topic(app, store);
    const std::string bootstrap = brook::kafka::resolve_bootstrap(config.bootstrap_servers());
    brook::kafka::client_config cc = config.restore_consumer_config();
    cc.set("bootstrap.servers", bootstrap).set("client.id", "brook-state");

    brook::kafka::client_config ac = config.admin_config();
    ac.set("bootstrap.servers", bootstrap);
    const std::optional<int> count =
        brook::kafka::admin_client(ac).partition_count(topic, config.broker_wait_timeout());
    if (!count) {
        throw brook::streams_error(fmt::format(
            "changelog topic '{}' does not exist on {}: check --application-id and --store", topic,
            config.bootstrap_servers()));
    }
    const int subtopology = static_cast<int>(cli.get_int("subtopology", 0, 1000));
    const auto partitions = parse_partitions(cli.get("partition"), *count);

    brook::apps::restore_progress progress;
    brook::task_counters counters;
    brook::kafka_client_factory clients;
    brook::changelog_reader reader(clients, cc, &progress, counters);
    brook::state::store_context context;
    std::vector<std::unique_ptr<brook::state::state_store>> stores;
    // One vector per partition: the reader keeps pointers into each until it is done.
    std::vector<std::unique_ptr<std::vector<brook::changelog_partition>>> owned;
    size_t pending = 0;
    for (int32_t p : partitions) {
        const brook::task_id id{subtopology, p};
        context.directory = config.state_dir() / app / id.to_string();
        std::filesystem::create_directories(context.directory);
        auto s = make_store(kind, store, retention_ms);
        s->init(context);
        auto cps = std::make_unique<std::vector<brook::changelog_partition>>();
        brook::changelog_partition cp;
        cp.store = store;
        cp.topic = topic;
        cp.partition = p;
        cp.persistent = true;
        cp.target = &s->restore_target();
        cp.checkpoint = cp.target->checkpoint();
        cps->push_back(cp);
        if (!reader.add(id, *cps)) {
            ++pending;
        }
        stores.push_back(std::move(s));
        owned.push_back(std::move(cps));
    }
    while (pending > 0) {
        pending -= reader.restore(200ms).size();
    }
    for (auto& s : stores) {
        s->close();
    }
    std::cout << fmt::format("restored {} records of store '{}' into {}\n",
                             counters.records_restored.load(), store,
                             (config.state_dir() / app).string());
    return 0;
}

// Task directories of the application, each "<subtopology>_<partition>".
std::vector<std::filesystem::path> task_dirs(const std::filesystem::path& app_dir) {
    std::vector<std::filesystem::path> out;
    if (!std::filesystem::is_directory(app_dir)) {
        throw brook::config_error(fmt::format(
            "{} is not a directory: check --state-dir and --application-id", app_dir.string()));
    }
    for (const auto& entry : std::filesystem::directory_iterator(app_dir)) {
        if (entry.is_directory()) {
            out.push_back(entry.path());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

int list(const app_cli& cli, store_kind kind, int64_t retention_ms) {
    const std::filesystem::path app_dir =
        std::filesystem::path(cli.get("state-dir")) / cli.get("application-id");
    for (const auto& dir : task_dirs(app_dir)) {
        std::cout << fmt::format("task {}\n", dir.filename().string());
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            if (!entry.is_directory()) {
                continue;
            }
            const std::string name = entry.path().filename().string();
            brook::state::store_context context;
            context.directory = dir;
            auto s = make_store(kind, name, retention_ms);
            try {
                s->init(context);
            } catch (const std::exception& e) {
                std::cout << fmt::format("  {}: cannot open as a {} store ({})\n", name,
                                         cli.get("kind"), e.what());
                continue;
            }
            const auto checkpoint = s->restore_target().checkpoint();
            std::string size;
            if (auto* kv = dynamic_cast<brook::state::key_value_store*>(s.get())) {
                size = fmt::format(", ~{} entries", kv->approximate_size());
            }
            std::cout << fmt::format("  {}: checkpoint {}{}\n", name,
                                     checkpoint ? std::to_string(*checkpoint) : "none", size);
            s->close();
        }
    }
    return 0;
}

int dump(const app_cli& cli, store_kind kind, int64_t retention_ms) {
    const std::string store = cli.get("store");
    if (store.empty()) {
        throw brook::config_error("dump needs --store NAME");
    }
    const std::filesystem::path app_dir =
        std::filesystem::path(cli.get("state-dir")) / cli.get("application-id");
    const int64_t limit = cli.get_int("limit", 0, std::numeric_limits<int32_t>::max());
    const bool json = cli.get("format") == "json";
    if (!json && cli.get("format") != "text") {
        throw brook::config_error(
            fmt::format("--format must be text or json, not '{}'", cli.get("format")));
    }
    int64_t shown = 0;
    bool found = false;
    auto more = [&] { return limit == 0 || shown < limit; };
    for (const auto& dir : task_dirs(app_dir)) {
        const std::string task = dir.filename().string();
        if (!cli.get("task").empty() && cli.get("task") != task) {
            continue;
        }
        if (!std::filesystem::is_directory(dir / store)) {
            continue;
        }
        found = true;
        brook::state::store_context context;
        context.directory = dir;
        auto s = make_store(kind, store, retention_ms);
        s->init(context);
        auto emit = [&](std::string_view key, std::optional<int64_t> start,
                        std::optional<int64_t> end, std::string_view value) {
            if (json) {
                nlohmann::json line{
                    {"task", task}, {"key", printable(key)}, {"value", printable(value)}};
                if (start) {
                    line["start"] = *start;
                }
                if (end) {
                    line["end"] = *end;
                }
                std::cout << line.dump() << '\n';
            } else if (start) {
                std::cout << fmt::format("{}\t{}\t[{}, {})\t{}\n", task, printable(key), *start,
                                         end ? std::to_string(*end) : "", printable(value));
            } else {
                std::cout << fmt::format("{}\t{}\t{}\n", task, printable(key), printable(value));
            }
            ++shown;
            return more();
        };
        if (auto* kv = dynamic_cast<brook::state::key_value_store*>(s.get())) {
            kv->all([&](std::string_view k, std::string_view v) {
                return emit(k, std::nullopt, std::nullopt, v);
            });
        } else if (auto* ws = dynamic_cast<brook::state::window_store*>(s.get())) {
            ws->fetch_all(0, std::numeric_limits<int64_t>::max(),
                          [&](std::string_view k, int64_t start, std::string_view v) {
                              return emit(k, start, std::nullopt, v);
                          });
        } else if (auto* ss = dynamic_cast<brook::state::session_store*>(s.get())) {
            ss->fetch_all(0, std::numeric_limits<int64_t>::max(),
                          [&](std::string_view k, int64_t start, int64_t end, std::string_view v) {
                              return emit(k, start, end, v);
                          });
        }
        s->close();
        if (!more()) {
            break;
        }
    }
    if (!found) {
        throw brook::config_error(
            fmt::format("no task directory under {} holds a store '{}'", app_dir.string(), store));
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    app_cli cli("brook-state",
                "Restores a store from its changelog into a state directory, lists the "
                "stores of a state directory, or dumps one.\n"
                "Usage: brook-state restore|list|dump [flags]",
                {
                    {"store", "the store's name", ""},
                    {"kind", "key-value, window or session", "key-value"},
                    {"retention-ms", "window/session stores: the store's retention", "86400000"},
                    {"partition", "restore: 'all' or a comma-separated list", "all"},
                    {"subtopology", "restore: the sub-topology owning the store", "0"},
                    {"task", "dump: only this task directory (e.g. 0_3)", ""},
                    {"limit", "dump: at most this many entries (0: all)", "100"},
                    {"format", "dump: text or json", "text"},
                },
                // No --http-port: a run of brook-state is short and serves no endpoint.
                {.common = brook::apps::common_flags::streams});
    if (argc < 2 || std::string_view(argv[1]).starts_with("-")) {
        const bool help = argc >= 2 && (std::string_view(argv[1]) == "--help" ||
                                        std::string_view(argv[1]) == "-h");
        (help ? std::cout : std::cerr) << cli.usage();
        return help ? 0 : 2;
    }
    const std::string command = argv[1];
    if (const std::optional<int> code = cli.parse_or_exit(argc - 1, argv + 1)) {
        return *code;
    }
    try {
        if (cli.get("application-id").empty()) {
            throw brook::config_error("--application-id is required");
        }
        const store_kind kind = parse_kind(cli.get("kind"));
        const int64_t retention =
            cli.get_int("retention-ms", 1, std::numeric_limits<int64_t>::max());
        if (command == "restore") {
            return restore(cli, kind, retention);
        }
        if (command == "list") {
            return list(cli, kind, retention);
        }
        if (command == "dump") {
            return dump(cli, kind, retention);
        }
        std::cerr << fmt::format("brook-state: unknown command '{}': use restore, list or dump\n",
                                 command);
        return 2;
    } catch (const brook::config_error& e) {
        std::cerr << "brook-state: " << e.what() << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "brook-state: " << e.what() << '\n';
        return 1;
    }
}
