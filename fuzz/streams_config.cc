// Fuzzes brook::streams_config, the validation of a whole application configuration: the
// input is .properties text (parsed with the file reader), or, when it starts with '@',
// command-line overrides, one "key=value" per line (streams_config::from_sources).
// application.id and bootstrap.servers are added when missing, so that inputs get past
// the first checks.
//
// Invariants: building either succeeds or throws config_error with a message of bounded
// size (keys and values are quoted cut short); a key longer than max_config_key_bytes is
// never accepted; an accepted configuration has a usable application.id and thread count,
// describes itself with to_string(), and is built again from its originals() to the same
// description.

#include "engine/config/streams_config.h"

#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/config/properties_file.h"
#include "engine/errors.h"
#include "fuzz/fuzz_support.h"

namespace {

using namespace brook;

// The message of a config_error thrown by f, or nullopt when it succeeds.
template <class F>
std::optional<std::string> error_of(F&& f) {
    try {
        f();
    } catch (const config_error& e) {
        return std::string(e.what());
    }
    return std::nullopt;
}

void check_message(const std::string& message) {
    FUZZ_CHECK(!message.empty(), "an empty error");
    // Every key and value is quoted at most 200 bytes (escaped, so x4), a few times.
    FUZZ_CHECK(message.size() < 16 * 1024,
               fmt::format("a {}-byte error: {}", message.size(), fuzz::excerpt(message)));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text = fuzz::as_text(data, size);
    const bool overrides = text.starts_with('@');
    std::map<std::string, std::string> props;
    std::vector<std::string> override_lines;
    if (overrides) {
        text.remove_prefix(1);
        while (!text.empty()) {
            const size_t newline = text.find('\n');
            override_lines.emplace_back(text.substr(0, newline));
            text =
                newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
        }
    } else {
        try {
            props = parse_properties(text, "fuzz.properties");
        } catch (const config_error&) {
            return 0; // the properties harness covers the reader
        }
    }
    std::map<std::string, std::string> defaults{{"application.id", "fuzz"},
                                                {"bootstrap.servers", "localhost:9092"}};
    std::optional<streams_config> config;
    std::optional<std::string> error;
    if (overrides) {
        error = error_of(
            [&] { config.emplace(streams_config::from_sources({}, override_lines, defaults)); });
    } else {
        for (const auto& [key, value] : defaults) {
            props.try_emplace(key, value);
        }
        error = error_of([&] { config.emplace(props); });
    }
    if (error) {
        check_message(*error);
        return 0;
    }
    FUZZ_CHECK(config.has_value(), "no error and no configuration");
    for (const auto& [key, value] : config->originals()) {
        FUZZ_CHECK(
            key.size() <= max_config_key_bytes && value.size() <= max_config_value_bytes,
            fmt::format("accepted a {}-byte key or a {}-byte value", key.size(), value.size()));
    }
    FUZZ_CHECK(!config->application_id().empty(), "empty application.id");
    FUZZ_CHECK(config->num_stream_threads() >= 1 && config->num_stream_threads() <= 64,
               fmt::format("{} threads", config->num_stream_threads()));
    FUZZ_CHECK(config->commit_interval().count() >= 0, "negative commit interval");
    const std::string described = config->to_string();
    std::optional<streams_config> again;
    const std::optional<std::string> again_error =
        error_of([&] { again.emplace(config->originals()); });
    FUZZ_CHECK(!again_error, "its own originals are refused: " + again_error.value_or(""));
    FUZZ_CHECK(again->to_string() == described, "built again, it describes itself differently");
    return 0;
}
